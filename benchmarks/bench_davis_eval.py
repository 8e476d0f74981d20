"""DAVIS J&F evaluation time: ours, the official davis2017-evaluation and vos-benchmark side by
side on one DAVIS-size synthetic folder (run by hand).

    .venv/bin/python benchmarks/bench_davis_eval.py [--sequences 30] [--frames 70] \
        [--objects 3] [--workers N] [--root DIR] \
        [--official-src DAVIS2017_EVALUATION_CHECKOUT --official-python PYTHON] \
        [--vos-benchmark PYTHON]

Writes a DAVIS-layout root (480x854 palette PNG annotations with 2..``--objects`` moving
ellipses per sequence, JPEG frames, ``ImageSets/2017/val.txt``) and a results folder (the
annotations shifted by a few pixels, one object dropped now and then) to a temporary folder,
or to ``--root`` (reused when it holds a folder built with the same settings). Then, for both
tasks, it times :func:`evaluate_davis` with ``--workers`` processes (default: the available
cores) and, when their paths are given, in subprocesses on the same folder:

* the official ``evaluation_method.py`` (``--official-src``: a checkout of
  github.com/davisvideochallenge/davis2017-evaluation; ``--official-python``: an interpreter
  with its requirements). Its own ``Total time`` (after its imports) is compared; its CSVs
  must equal ours character for character, else the benchmark fails;
* ``vos_benchmark.benchmark`` (``--vos-benchmark``: an interpreter with PyPI
  ``vos-benchmark``) with ``--workers`` processes, timed by its own ``Time taken``. It has no
  unsupervised protocol: for that row it scores ids per frame over every frame of
  ``Annotations_unsupervised`` without the matching, so only its time is comparable.

Seconds are each tool's own timer (evaluation only, interpreter start and imports left out);
CPU seconds add up every process (workers included). Frames/s counts evaluated frames.
"""
import argparse
import json
import os
import os.path as osp
import re
import resource
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmsegsup.evaluation.davis_eval import evaluate_davis, write_davis_csvs  # noqa: E402
from mmsegsup.formats.index_png import write_index_png  # noqa: E402
from mmsegsup.formats.palettes import DAVIS_PALETTE  # noqa: E402
from mmsegsup.utils.parallel import resolve_workers  # noqa: E402

H, W = 480, 854
TASKS = ('semi-supervised', 'unsupervised')
FOLDERS = {'semi-supervised': 'Annotations', 'unsupervised': 'Annotations_unsupervised'}


def _save_png(ids: np.ndarray, path: str) -> None:
    write_index_png(ids.astype(np.uint8), path, DAVIS_PALETTE)


def _sequence(rng: np.random.Generator, frames: int, objects: int) -> np.ndarray:
    """Moving, slowly growing ellipses; later ids drawn on top."""
    yy, xx = np.ogrid[:H, :W]
    out = np.zeros((frames, H, W), np.uint8)
    for k in range(1, objects + 1):
        cy, cx = rng.uniform(0.2, 0.8) * H, rng.uniform(0.2, 0.8) * W
        ry, rx = rng.uniform(30, 120), rng.uniform(30, 160)
        vy, vx = rng.normal(0, 2, 2)
        for t in range(frames):
            grow = 1 + 0.003 * t
            inside = (((yy - cy - vy * t) / (ry * grow)) ** 2
                      + ((xx - cx - vx * t) / (rx * grow)) ** 2)
            out[t][inside <= 1] = k
    return out


def build(root: str, results: str, sequences: int, frames: int, objects: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    names = [f'seq{i:02d}' for i in range(sequences)]
    os.makedirs(osp.join(root, 'ImageSets', '2017'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    black = Image.fromarray(np.zeros((H, W, 3), np.uint8))
    total = 0
    for name in names:
        gt = _sequence(rng, frames, int(rng.integers(2, objects + 1)))
        res = np.roll(gt, tuple(int(v) for v in rng.integers(-6, 7, 2)), axis=(1, 2))
        for folder in FOLDERS.values():
            os.makedirs(osp.join(root, folder, '480p', name))
        os.makedirs(osp.join(root, 'JPEGImages', '480p', name))
        os.makedirs(osp.join(results, name))
        for t in range(frames):
            stem = f'{t:05d}'
            black.save(osp.join(root, 'JPEGImages', '480p', name, stem + '.jpg'))
            for folder in FOLDERS.values():
                _save_png(gt[t], osp.join(root, folder, '480p', name, stem + '.png'))
            frame = res[t].copy()
            if rng.random() < 0.1:
                frame[frame == frame.max()] = 0  # a missed object
            _save_png(frame, osp.join(results, name, stem + '.png'))
        total += frames
    return total


def _prepare(folder: str, args: argparse.Namespace) -> Tuple[str, str, float]:
    """The DAVIS root and results folder in ``folder``, built unless already there."""
    root, results = osp.join(folder, 'DAVIS'), osp.join(folder, 'results')
    marker = osp.join(folder, 'built.json')
    settings = dict(sequences=args.sequences, frames=args.frames, objects=args.objects,
                    seed=args.seed)
    if osp.isfile(marker):
        with open(marker) as f:
            if json.load(f) == settings:
                return root, results, 0.0
        raise SystemExit(f'{folder} holds a folder built with other settings; give another '
                         '--root or remove it')
    start = time.perf_counter()
    build(root, results, args.sequences, args.frames, args.objects, args.seed)
    with open(marker, 'w') as f:
        json.dump(settings, f)
    return root, results, time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _linked_results(results: str, tmp: str, name: str) -> str:
    """A fresh folder of links to the sequence folders: the others write their CSVs there (and
    the official script would reuse CSVs it finds instead of evaluating)."""
    folder = tempfile.mkdtemp(prefix=f'{name}_', dir=tmp)
    for seq in sorted(os.listdir(results)):
        if osp.isdir(osp.join(results, seq)):
            os.symlink(osp.join(results, seq), osp.join(folder, seq))
    return folder


def _run(cmd: List[str], cwd: Optional[str], pattern: str) -> Tuple[float, float, float, str]:
    """(own seconds parsed with ``pattern``, process seconds, CPU seconds, output)."""
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f'{" ".join(cmd[:2])} failed:\n{proc.stdout[-2000:]}\n'
                         f'{proc.stderr[-2000:]}')
    found = re.search(pattern, proc.stdout)
    own = float(found.group(1)) if found else wall
    return own, wall, cpu, proc.stdout


def _ours(root: str, results: str, task: str, workers: int,
          tmp: str) -> Tuple[Dict[str, object], str]:
    cpu, children, start = time.process_time(), _children_cpu(), time.perf_counter()
    out = evaluate_davis(root, results, task=task, split='val', progress=False,
                         workers=workers)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu + _children_cpu() - children
    csv_dir = tempfile.mkdtemp(prefix='ours_', dir=tmp)
    write_davis_csvs(out, csv_dir, 'val')
    return dict(seconds=seconds, wall=seconds, cpu=cpu, frames=out['num_frames'],
                objects=out['num_objects'], jf=out['J&F-Mean']), csv_dir


def _official(args, root: str, results: str, task: str, tmp: str,
              ours_csvs: str) -> Dict[str, object]:
    res = _linked_results(results, tmp, 'official')
    own, wall, cpu, text = _run(
        [args.official_python, 'evaluation_method.py', '--task', task, '--set', 'val',
         '--davis_path', root, '--results_path', res], args.official_src,
        r'Total time:\s*([0-9.]+)')
    for name in ('global_results-val.csv', 'per-sequence_results-val.csv'):
        with open(osp.join(res, name)) as f1, open(osp.join(ours_csvs, name)) as f2:
            theirs, mine = f1.read().splitlines(), f2.read().splitlines()
        if theirs != mine:
            diff = next(i for i, (a, b) in enumerate(zip(theirs + [''], mine + [''])) if a != b)
            raise SystemExit(f'{task}: {name} differs from the official one at line {diff + 1}:'
                             f'\n  official: {theirs[diff:diff + 1]}\n  ours:     '
                             f'{mine[diff:diff + 1]}')
    found = re.search(r'J&F-Mean.*\n\s*([0-9.]+)', text)
    return dict(seconds=own, wall=wall, cpu=cpu, jf=float(found.group(1)) if found else None,
                identical=True)


def _vos_benchmark(args, root: str, results: str, task: str, workers: int,
                   tmp: str) -> Dict[str, object]:
    res = _linked_results(results, tmp, 'vos')
    gt = osp.join(root, FOLDERS[task], '480p')
    code = ('from vos_benchmark.benchmark import benchmark\n'
            f'benchmark([{gt!r}], [{res!r}], num_processes={workers}, verbose=True, '
            f'skip_first_and_last={task == "semi-supervised"})')
    own, wall, cpu, text = _run([args.vos_benchmark, '-c', code], tmp,
                                r'Time taken:\s*([0-9.]+)')
    found = re.search(r'Global score: J&F: ([0-9.]+)', text)
    return dict(seconds=own, wall=wall, cpu=cpu,
                jf=float(found.group(1)) / 100 if found else None)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sequences', type=int, default=30)
    parser.add_argument('--frames', type=int, default=70)
    parser.add_argument('--objects', type=int, default=3, help='2..OBJECTS objects per sequence')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=None,
                        help='processes for ours and vos-benchmark (default: available cores)')
    parser.add_argument('--root', help='build (or reuse) the folders here, not in a temp dir')
    parser.add_argument('--official-src', help='davis2017-evaluation checkout '
                        '(evaluation_method.py); with --official-python')
    parser.add_argument('--official-python', help='python with the official requirements')
    parser.add_argument('--vos-benchmark', metavar='PYTHON',
                        help='python with PyPI vos-benchmark installed')
    parser.add_argument('--tasks', nargs='+', default=list(TASKS), choices=TASKS)
    args = parser.parse_args()
    if bool(args.official_src) != bool(args.official_python):
        parser.error('--official-src and --official-python go together')
    return args


def _print_table(rows: List[Tuple[str, str, Dict[str, object]]], base: Dict[str, dict]) -> None:
    print('| task | evaluator | seconds | frames/s | CPU seconds | x ours (seconds) | J&F-Mean |')
    print('|---|---|---|---|---|---|---|')
    for task, name, row in rows:
        ours = base[task]
        ratio = f'{row["seconds"] / ours["seconds"]:.1f}x' if name != 'ours' else '1.0x'
        jf = '-' if row.get('jf') is None else f'{row["jf"]:.3f}'
        print(f'| {task} | {name} | {row["seconds"]:.2f} | '
              f'{ours["frames"] / row["seconds"]:.1f} | {row["cpu"]:.1f} | {ratio} | {jf} |')


def main() -> None:
    args = parse_args()
    workers = resolve_workers(args.workers, args.sequences)
    with tempfile.TemporaryDirectory(prefix='bench_davis_') as tmp:
        root, results, build_s = _prepare(args.root or tmp, args)
        rows, base = [], {}
        for task in args.tasks:
            ours, ours_csvs = _ours(root, results, task, workers, tmp)
            base[task] = ours
            rows.append((task, 'ours', ours))
            if args.official_src:
                rows.append((task, 'davis2017-evaluation',
                             _official(args, root, results, task, tmp, ours_csvs)))
            if args.vos_benchmark:
                rows.append((task, 'vos-benchmark',
                             _vos_benchmark(args, root, results, task, workers, tmp)))
    print(f'\nDAVIS-size folder: {args.sequences} sequences x {args.frames} frames, {H}x{W}, '
          f'2-{args.objects} objects (built in {build_s:.1f} s); ours and vos-benchmark with '
          f'{workers} worker process(es), {os.cpu_count()} CPUs, load '
          f'{os.getloadavg()[0]:.1f}\n')
    if not args.official_src:
        print('(official davis2017-evaluation skipped: give --official-src and '
              '--official-python)')
    if not args.vos_benchmark:
        print('(vos-benchmark skipped: give --vos-benchmark PYTHON)')
    _print_table(rows, base)
    if args.official_src:
        print('\nOfficial CSVs (global and per-sequence) equal ours character for character.')


if __name__ == '__main__':
    main()
