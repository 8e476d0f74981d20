"""Score a DAVIS results folder (any method's) as the official DAVIS-2017 evaluation does.

    python tools/eval_davis.py --davis-root data/DAVIS --results work_dirs/osvos \
        [--task semi-supervised|unsupervised] [--split val] [--sequences bike-packing ...] \
        [--out-dir DIR] [--workers N]

``--results`` holds ``<sequence>/<frame>.png`` indexed PNGs (object ids, 0 = background).
Writes ``global_results-<split>.csv`` and ``per-sequence_results-<split>.csv`` (official
columns) to ``--out-dir`` (default: the results folder) and prints the tables. Unlike the
official script, existing CSVs are never reused: the results are always scored again.
"""
import argparse
import sys
import time

from mmsegsup.evaluation import davis_eval as evaluation
from mmsegsup.formats.errors import DavisFileNotFoundError, DavisFormatError
from mmsegsup.utils.parallel import add_workers_arg


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DAVIS-2017 J&F evaluation (official protocol)')
    parser.add_argument('--davis-root', required=True,
                        help='DAVIS folder with JPEGImages/, Annotations/ and ImageSets/')
    parser.add_argument('--results', required=True,
                        help='folder with <sequence>/<frame>.png indexed PNGs')
    parser.add_argument('--task', default='semi-supervised', choices=evaluation.TASKS)
    parser.add_argument('--split', default='val', help='ImageSets/2017/<split>.txt')
    parser.add_argument('--sequences', nargs='+', help='evaluate only these sequences')
    parser.add_argument('--resolution', default='480p', help='JPEGImages/<resolution> etc.')
    parser.add_argument('--out-dir', help='where the CSVs go (default: the results folder)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_workers_arg(parser, 'sequences')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    print(f'Evaluating sequences for the {args.task} task...')
    try:
        result = evaluation.evaluate_davis(
            args.davis_root, args.results, task=args.task, split=args.split,
            sequences=args.sequences, resolution=args.resolution, progress=not args.no_progress,
            workers=args.workers)
    except (DavisFileNotFoundError, DavisFormatError) as err:
        print(f'\nerror: {err}', file=sys.stderr)
        return 2
    global_csv, seq_csv = evaluation.write_davis_csvs(result, args.out_dir or args.results,
                                                      args.split)
    print(f'Global results saved in {global_csv}')
    print(f'Per-sequence results saved in {seq_csv}')
    print(evaluation.format_davis_tables(result))
    elapsed = time.time() - start
    print(f'\nTotal time: {elapsed:.1f} s ({result["num_frames"]} frames, '
          f'{result["num_frames"] / max(elapsed, 1e-9):.1f} frames/s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
