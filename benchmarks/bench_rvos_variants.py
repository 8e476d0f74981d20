"""Our RVOS variant against the thesis-exact options, side by side on the embedded data.

    .venv/bin/python benchmarks/bench_rvos_variants.py [--iters 1200] [--out work_dirs/bench]

Trains the CPU one-shot RVOS-ST config (ResNet-18 c16, synthetic DAVIS-layout videos, 64x64)
three times with the same seed, data and schedule, changing only the head:

- ``mmsegsup``: the config as it is (3 levels, 1x1 projections, binarised previous masks,
  slots per given object);
- ``exact decoder``: imatge-upc/rvos's decoder options (4 levels, 3x3 skip convs + BN, final
  x2 upsample + 3x3 conv_out, max-pooled previous masks) with our protocol;
- ``exact``: the exact decoder and ``protocol='original'`` (slot = object id - 1, all steps,
  soft previous masks, the original's loss reduction; DAVIS's per-frame ``sw_mask``).

Each is then tested on the held-out videos with ``tools/test.py``; the table has the DAVIS J&F,
the training seconds per iteration and the test seconds per frame. Results go to
benchmarks/README.md.
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py')
JF = re.compile(r'davis/J&F-Mean: ([0-9.]+)')
EXACT_DECODER = """dict(_delete_=True, type='RecurrentMaskDecoder',
    hidden_channels=(64, 32, 16, 8), skip_channels=(64, 64, 32, 16), kernel_size=3,
    proj_kernel_size=3, proj_norm=True, align_corners=True, final_upsample=True,
    mask_kernel_size=3, use_levels=(0, 1, 2, 3), extra_input_mode='maxpool',
    pooling=('max', ))"""
VARIANTS = {
    'mmsegsup': '',
    'exact decoder': f'model = dict(head=dict(decoder={EXACT_DECODER}))',
    # the synthetic videos hold at most 3 objects (ids 1..3): 3 steps as maxseqlen
    'exact': f"""model = dict(head=dict(decoder={EXACT_DECODER}, protocol='original',
    train_valid='frame', num_slots=3))""",
}


def write_config(out: str, name: str, body: str, iters: int, data_root: str) -> str:
    path = osp.join(out, name.replace(' ', '_') + '.py')
    with open(path, 'w') as f:
        f.write(f"""_base_ = [{CONFIG!r}]
data_root = {data_root!r}
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(davis_root=data_root)
test_evaluator = val_evaluator
max_iters = {iters}
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_iter=max_iters // 2)]
randomness = dict(seed=0)
{body}
""")
    return path


def tool(args, threads: int) -> str:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONHASHSEED='0')
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(args)} failed:\n{proc.stderr[-3000:]}')
    return proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--iters', type=int, default=1200)
    parser.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'bench_rvos_variants'))
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data_root = osp.join(args.out, 'videos') + '/'
    rows = []
    for name, body in VARIANTS.items():
        cfg = write_config(args.out, name, body, args.iters, data_root)
        work = osp.join(args.out, name.replace(' ', '_'))
        start = time.perf_counter()
        tool(['tools/train.py', cfg, '--work-dir', work], args.threads)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        log = tool(['tools/test.py', cfg, osp.join(work, f'iter_{args.iters}.pth'),
                    '--work-dir', work], args.threads)
        test_s = time.perf_counter() - start
        rows.append((name, float(JF.findall(log)[-1]), train_s / args.iters, test_s / 240))
        print(f'{name}: done', flush=True)
    print(f'\n{args.iters} iterations, seed 0, {args.threads} threads; test: 20 videos x 12 '
          'frames (s/frame includes the test tool\'s start-up)')
    print(f'| {"variant":<14} | J&F-Mean | train s/iter | test s/frame |')
    print('|---|---|---|---|')
    for name, jf, it, fr in rows:
        print(f'| {name:<14} | {jf:.3f} | {it:.3f} | {fr:.3f} |')


if __name__ == '__main__':
    main()
