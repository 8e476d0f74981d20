"""Mask-guided active learning (thesis ch. 5): rounds of train -> score the pool by predicted
mask IoU -> select N' images per strategy -> label them -> retrain, for several seeds, then
the report (tables 5.2 / 5.3, figs. 5.5-5.7).

    python tools/active_learning.py configs/active_learning/al_iou-wrsis_shapes-64x64_cpu.py \
        --work-dir work_dirs/al [--seeds 0 1 2]
    # labels='human': the loop stops after writing the images to annotate (pre-filled for
    # Label Studio / CVAT); then the annotators' COCO file, Label Studio JSON export or CVAT
    # COCO 1.0 export:
    python tools/active_learning.py CONFIG --work-dir work_dirs/al --labels export.json
    python tools/active_learning.py CONFIG --work-dir work_dirs/al --report   # tables only
    python tools/active_learning.py CONFIG --work-dir work_dirs/al --executor ray  # on Ray

The round 0 of each seed and each (seed, strategy) are units of work: ``--executor ray`` runs
them as Ray tasks (this machine's cores, or a cluster with ``--address``). Rerunning skips
finished stages and resumes an interrupted training (see
mmsegsup/active_learning/loop.py for the config keys).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

try:
    from mmsegsup.active_learning import AwaitingLabels, write_report
    from mmsegsup.active_learning.grid import run_loop
    from mmsegsup.apis.executors import add_executor_args, executor_options
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
    from mmsegsup.active_learning import AwaitingLabels, write_report
    from mmsegsup.active_learning.grid import run_loop
    from mmsegsup.apis.executors import add_executor_args, executor_options


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description='Mask-guided active learning rounds')
    parser.add_argument('config', help='loop config with an `active_learning = dict(...)`')
    parser.add_argument('--work-dir', help='default work_dirs/<config name>')
    parser.add_argument('--seeds', type=int, nargs='+', help='default: active_learning.seeds')
    parser.add_argument('--num-per-round', type=int,
                        help="N' (default: active_learning.num_per_round); runs with other N' "
                             'in the same work folder share round 0 (table 5.2 columns)')
    parser.add_argument('--num-initial', type=int,
                        help='N0, the random strongly labeled images of round 0 (default: '
                             'active_learning.num_initial); use one work folder per N0')
    parser.add_argument('--labels', help="the annotations of the images the last round "
                                         "selected (labels='human'): a COCO file, a Label "
                                         'Studio JSON export or a CVAT COCO 1.0 export')
    parser.add_argument('--report', action='store_true',
                        help='only rewrite the tables and figures from the CSVs')
    add_executor_args(parser)
    args = parser.parse_args(argv)
    work = args.work_dir or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.report:
        paths = write_report(work)
    else:
        try:
            run_loop(args.config, work, seeds=args.seeds, num_per_round=args.num_per_round,
                     num_initial=args.num_initial, labels_file=args.labels,
                     executor=executor_options(args))
        except AwaitingLabels as msg:
            print(f'[al] waiting for labels: {msg}')
            return
        paths = write_report(work)
    for path in paths.values():
        print(f'[al] wrote {path}')


if __name__ == '__main__':
    main()
