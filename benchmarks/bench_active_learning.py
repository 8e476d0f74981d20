"""Does selection by predicted IoU beat random at small budgets? (issue 16, thesis ch. 5)

    .venv/bin/python benchmarks/bench_active_learning.py [--n0 20 40] [--seeds 0 1 2] \
        [--config configs/active_learning/al_iou-wrsis_shapes-64x64_crossfit_cpu.py] \
        [--out work_dirs/bench_al]

Runs ``tools/active_learning.py`` once per N0 (one round, N' = N0, a work folder per N0 under
``--out``; finished stages of an earlier run are reused), then prints per N0 the loop's own
report (``al_table.md``: held-out AP50 mean ± std over seeds per strategy, and the IoU
prediction's calibration on the pool: MAE and Spearman rank correlation of the annotator's
freeze-then-train branch and of the cross-fitted branches against the oracle, next to the MAE
of predicting the mean IoU). Results go to benchmarks/README.md.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/active_learning/al_iou-wrsis_shapes-64x64_crossfit_cpu.py'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--n0', type=int, nargs='+', default=[20, 40])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'bench_al'))
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    tables = []
    for n0 in args.n0:
        work = osp.join(args.out, f'n0-{n0}')
        start = time.time()
        subprocess.run([sys.executable, 'tools/active_learning.py', args.config, '--work-dir',
                        work, '--num-initial', str(n0), '--num-per-round', str(n0),
                        '--seeds', *map(str, args.seeds)], cwd=REPO, env=env, check=True)
        with open(osp.join(work, 'al_table.md')) as f:
            tables.append(f'## N0 = {n0}, N\' = {n0}, seeds {args.seeds} '
                          f'({time.time() - start:.0f} s)\n\n{f.read()}')
    print('\n'.join(tables))


if __name__ == '__main__':
    main()
