"""Score a YouTube-VOS results folder: J and F of seen / unseen categories and Overall.

    python tools/eval_youtube_vos.py --gt-root data/youtube_vos --results work_dirs/stm \
        [--split train] (--train-meta data/youtube_vos/train/meta.json | --seen-categories a,b) \
        [--videos v1 v2 ... | --video-list heldout.txt] [--out-dir DIR] [--per-object] \
        [--workers N]

``--gt-root`` holds ``<split>/Annotations/<video>/<frame>.png`` and ``<split>/meta.json`` (a
split with full annotations: the server keeps those of ``valid``, so local scores come from a
held-out part of ``train``). ``--results`` holds ``<video>/<frame>.png`` (object ids). With
``--train-meta`` the seen categories are those of its videos other than the evaluated ones.
Writes ``global_results-<split>.csv`` and ``per-object_results-<split>.csv`` to ``--out-dir``
(default: the results folder) and prints the table.
"""
import argparse
import os.path as osp
import sys
import time

from mmsegsup.evaluation import youtube_vos_eval as evaluation
from mmsegsup.formats.errors import DavisFileNotFoundError, DavisFormatError
from mmsegsup.utils.parallel import add_workers_arg


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='YouTube-VOS J/F evaluation (seen / unseen)')
    parser.add_argument('--gt-root', required=True,
                        help='dataset root with <split>/Annotations/ and <split>/meta.json')
    parser.add_argument('--results', required=True,
                        help='folder with <video>/<frame>.png indexed PNGs')
    parser.add_argument('--split', default='train', help='split folder under --gt-root')
    seen = parser.add_mutually_exclusive_group(required=True)
    seen.add_argument('--train-meta',
                      help='training meta.json: its categories (outside the evaluated videos) '
                           'are the seen ones')
    seen.add_argument('--seen-categories', help='comma-separated seen category names')
    videos = parser.add_mutually_exclusive_group()
    videos.add_argument('--videos', nargs='+', help='evaluate only these videos')
    videos.add_argument('--video-list', help='text file with one video name per line')
    parser.add_argument('--out-dir', help='where the CSVs go (default: the results folder)')
    parser.add_argument('--per-object', action='store_true', help='also print every object')
    parser.add_argument('--progress', action='store_true', help='show a progress bar')
    add_workers_arg(parser, 'videos')
    return parser.parse_args(argv)


def _read_video_list(path: str):
    """Video names of a list file (one per line, blank lines ignored)."""
    if not osp.isfile(path):
        raise DavisFileNotFoundError(f'video list {path} not found')
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def _seen(text):
    """``a,b,c`` -> ``['a', 'b', 'c']``; ``None`` when not given."""
    if text is None:
        return None
    return [c.strip() for c in text.split(',') if c.strip()]


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        videos = _read_video_list(args.video_list) if args.video_list else args.videos
        result = evaluation.evaluate_youtube_vos(
            args.gt_root, args.results, split=args.split,
            seen_categories=_seen(args.seen_categories), train_meta=args.train_meta,
            videos=videos, progress=args.progress, workers=args.workers)
    except (DavisFileNotFoundError, DavisFormatError, ValueError) as err:
        print(f'\nerror: {err}', file=sys.stderr)
        return 2
    global_csv, object_csv = evaluation.write_youtube_vos_csvs(
        result, args.out_dir or args.results, args.split)
    print(f'Global results saved in {global_csv}')
    print(f'Per-object results saved in {object_csv}')
    print(evaluation.format_youtube_vos_table(result, per_object=args.per_object))
    elapsed = time.time() - start
    print(f'\nTotal time: {elapsed:.1f} s ({result["num_frames"]} frames, '
          f'{result["num_frames"] / max(elapsed, 1e-9):.1f} frames/s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
