"""Extract the frames of the A2D videos, the images that ``A2DSentencesDataset`` reads.

Usage:
    python tools/dataset_converters/a2d_extract_frames.py data/a2d_sentences \\
        [--split train|test|all] [--videos VID ...] [--annotated-only]

Reads ``Release/clips320H/<vid>.mp4`` and writes ``Release/pngs320H/<vid>/<NNNNN>.png`` with
1-based frame numbers, the numbering of the annotation files
``text_annotations/a2d_annotation_with_instances/<vid>/<NNNNN>.h5``. ``--annotated-only`` writes
just the frames that have such an h5 file (a few per video, enough for single-frame models like
RefVOS). Resumable: frames already on disk are kept, a video whose frames are all there is not
decoded again; each frame is written to a temp file and renamed, so an interrupted run leaves
no half-written image.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys
from typing import Iterable, List, Optional, Tuple

import cv2

try:
    from mmsegsup.formats.a2d_sentences import a2d_frame_number, read_a2d_videoset
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from mmsegsup.formats.a2d_sentences import a2d_frame_number, read_a2d_videoset
from mmsegsup.formats.errors import FormatError
from mmsegsup.utils.io import imwrite_atomic


def frame_path(out_dir: str, number: int, ext: str = '.png') -> str:
    return osp.join(out_dir, f'{number:05d}{ext}')


def annotated_frame_numbers(mask_dir: str, video: str) -> Optional[List[int]]:
    """1-based numbers of the frames with an h5 annotation; None when the video has none."""
    folder = osp.join(mask_dir, video)
    if not osp.isdir(folder):
        return None
    return [a2d_frame_number(osp.join(folder, name)) for name in sorted(os.listdir(folder))
            if name.endswith('.h5')]


def extract_frames(video_path: str, out_dir: str, numbers: Optional[Iterable[int]] = None,
                   ext: str = '.png') -> Tuple[int, int]:
    """Write frames (all, or the 1-based ``numbers``) of one video; returns (written, kept).

    Frames already in ``out_dir`` are kept; with nothing left to write the video is not
    opened.
    """
    if not osp.isfile(video_path):
        raise FileNotFoundError(f'video {video_path} not found')
    wanted = None if numbers is None else set(numbers)
    if wanted is not None:
        todo = {n for n in wanted if not osp.isfile(frame_path(out_dir, n, ext))}
        if not todo:
            return 0, len(wanted)
    cap = cv2.VideoCapture(video_path)
    try:
        if not cap.isOpened():
            raise FormatError(f'{video_path}: OpenCV cannot open this video')
        if wanted is None:
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            if count > 0 and all(osp.isfile(frame_path(out_dir, n, ext))
                                 for n in range(1, count + 1)):
                return 0, count
        written = kept = number = 0
        last = max(todo) if wanted is not None else None
        while last is None or number < last:
            ok, frame = cap.read()
            if not ok:
                break
            number += 1
            if wanted is not None and number not in wanted:
                continue
            path = frame_path(out_dir, number, ext)
            if osp.isfile(path):
                kept += 1
                continue
            imwrite_atomic(frame, path)
            written += 1
    finally:
        cap.release()
    if wanted is not None and last is not None and number < last:
        raise FormatError(
            f'{video_path}: decoded {number} frames, but annotations ask for frame(s) '
            f'{sorted(n for n in todo if n > number)}')
    if number == 0:
        raise FormatError(f'{video_path}: no frame could be decoded')
    if wanted is not None:
        kept = len(wanted) - written
    return written, kept


def select_videos(root: str, videoset: str, split: str,
                  videos: Optional[List[str]]) -> List[str]:
    """The videos to extract: those named, else the videoset.csv rows of ``split``."""
    if videos:
        return list(videos)
    subsets = {'train': {0}, 'test': {1}, 'all': {0, 1}}[split]
    table = read_a2d_videoset(osp.join(root, videoset))
    return [v for v, s in table.items() if s in subsets]


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description='extract A2D frames from clips320H videos')
    parser.add_argument('root', help='A2D-Sentences root (holds Release/ and text_annotations/)')
    parser.add_argument('--split', choices=('train', 'test', 'all'), default='all',
                        help='videoset.csv subset to extract (default all)')
    parser.add_argument('--videos', nargs='+', help='extract only these video ids')
    parser.add_argument('--annotated-only', action='store_true',
                        help='only the frames that have an annotation h5 file')
    parser.add_argument('--videoset', default='Release/videoset.csv')
    parser.add_argument('--video-dir', default='Release/clips320H')
    parser.add_argument('--frame-dir', default='Release/pngs320H')
    parser.add_argument('--mask-dir', default='text_annotations/a2d_annotation_with_instances')
    args = parser.parse_args(argv)
    from mmengine.utils import ProgressBar

    videos = select_videos(args.root, args.videoset, args.split, args.videos)
    stats = dict(videos=0, no_annotation=0, written=0, kept=0)
    bar = ProgressBar(len(videos))
    for video in videos:
        numbers = None
        if args.annotated_only:
            numbers = annotated_frame_numbers(osp.join(args.root, args.mask_dir), video)
            if not numbers:
                stats['no_annotation'] += 1
                bar.update()
                continue
        written, kept = extract_frames(osp.join(args.root, args.video_dir, f'{video}.mp4'),
                                       osp.join(args.root, args.frame_dir, video), numbers)
        stats['videos'] += 1
        stats['written'] += written
        stats['kept'] += kept
        bar.update()
    print(f'\n{stats["videos"]} videos: {stats["written"]} frames written, {stats["kept"]} '
          f'already there; {stats["no_annotation"]} videos without annotations skipped')
    return stats


if __name__ == '__main__':
    main()
