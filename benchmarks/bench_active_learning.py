"""Does selection by predicted IoU beat random at small budgets? (issues 16 and 28, thesis ch. 5)

    .venv/bin/python benchmarks/bench_active_learning.py [--n0 20 40] [--seeds 0 1 2] \
        [--executors ray] [--address ADDR] \
        [--config configs/active_learning/al_iou-wrsis_shapes-64x64_crossfit_cpu.py] \
        [--out work_dirs/bench_al]

Runs ``tools/active_learning.py`` once per executor and N0 (one round, N' = N0, a work folder
``--out/<executor>/n0-<N0>``; finished stages of an earlier run are reused, so the wall time of
a rerun is not a measurement), then prints per N0 the loop's own report (``al_table.md``:
held-out AP50 mean ± standard error over seeds per strategy, and the IoU prediction's
calibration on the pool) and the wall time per executor. With several executors (``--executors
local ray``) the same grid runs under each, one after another, and the result CSVs must be
identical (the loop is deterministic per unit whichever executor ran it): that gives the
executors' wall-time ratio from one run. Results go to benchmarks/README.md.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/active_learning/al_iou-wrsis_shapes-64x64_crossfit_cpu.py'
RESULTS = 'al_results.csv'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--n0', type=int, nargs='+', default=[20, 40])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--executors', nargs='+', choices=('local', 'ray'), default=['local'],
                        help='run the grid under each (in this order) and compare')
    parser.add_argument('--address', help="Ray cluster to join (default: start Ray here)")
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'bench_al'))
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    report, walls = [], {}
    for executor in args.executors:
        start = time.time()
        for n0 in args.n0:
            work = osp.join(args.out, executor, f'n0-{n0}')
            cmd = [sys.executable, 'tools/active_learning.py', args.config, '--work-dir', work,
                   '--num-initial', str(n0), '--num-per-round', str(n0),
                   '--seeds', *map(str, args.seeds), '--executor', executor]
            if executor == 'ray' and args.address:
                cmd += ['--address', args.address]
            subprocess.run(cmd, cwd=REPO, env=env, check=True)
        walls[executor] = time.time() - start
    first = args.executors[0]
    for n0 in args.n0:
        with open(osp.join(args.out, first, f'n0-{n0}', 'al_table.md')) as f:
            report.append(f"## N0 = {n0}, N' = {n0}, seeds {args.seeds}\n\n{f.read()}")
        for other in args.executors[1:]:
            paths = [osp.join(args.out, e, f'n0-{n0}', RESULTS) for e in (first, other)]
            with open(paths[0]) as a, open(paths[1]) as b:
                same = a.read() == b.read()
            report.append(f'N0 = {n0}: {RESULTS} under {first} and {other}: '
                          f"{'identical' if same else 'DIFFERENT'}")
    report.append('wall time (s): ' + ', '.join(f'{e} {w:.0f}' for e, w in walls.items()))
    if len(walls) > 1:
        report.append(f"ratio {first} / {args.executors[-1]}: "
                      f"{walls[first] / walls[args.executors[-1]]:.2f}")
    print('\n\n'.join(report))


if __name__ == '__main__':
    main()
