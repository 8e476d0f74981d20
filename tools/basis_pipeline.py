"""Run the BASIS pipeline (thesis 4.4) for one or more (N, seed): train the annotation network
f on N strong images, pseudo-label the rest, train the student g on both, evaluate f and g,
and add a row to the results CSV + redraw the score-vs-budget plot.

    python tools/basis_pipeline.py configs/basis/basis_rsis_shapes-64x64_cpu.py \
        --work-dir work_dirs/basis_rsis [--num-strong 50 100] [--seeds 0 1] \
        [--executor ray [--address auto]]

Each (N, seed) is one unit of work: ``--executor ray`` runs them as Ray tasks (on this
machine's cores, or a cluster with ``--address``). Rerunning skips finished stages and resumes
an interrupted training (see mmsegsup/basis/pipeline.py for the config keys).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

try:
    from mmsegsup.apis.executors import add_executor_args, executor_options
    from mmsegsup.basis.pipeline import run_pipeline
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
    from mmsegsup.apis.executors import add_executor_args, executor_options
    from mmsegsup.basis.pipeline import run_pipeline


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description='BASIS: strong -> pseudo -> student')
    parser.add_argument('config', help='pipeline config with a `basis = dict(...)`')
    parser.add_argument('--work-dir', help='default work_dirs/<config name>')
    parser.add_argument('--num-strong', type=int, nargs='+',
                        help='N values to run (default: basis.num_strong)')
    parser.add_argument('--seeds', type=int, nargs='+', help='default: basis.seed')
    parser.add_argument('--until', choices=('split', 'train_f', 'pseudo'),
                        help='stop after this stage (e.g. only make the split files, or '
                             'compare the pseudo-labels of two annotators)')
    add_executor_args(parser)
    args = parser.parse_args(argv)
    work = args.work_dir or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    run_pipeline(args.config, work, args.num_strong or [None], args.seeds or [None],
                 until=args.until, executor=executor_options(args))


if __name__ == '__main__':
    main()
