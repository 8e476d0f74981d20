"""Write the 80/20 video split of YouTube-VOS train used by the thesis's ablations.

Usage:
    python tools/dataset_converters/youtube_vos_split.py data/youtube-vos [--ratio 0.8] [--seed 0]

Writes ``<root>/train/splits/train-80.txt`` and ``val-20.txt`` (one video per line), which the
YouTube-VOS configs read as ``video_list``. Same seed, same split.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import List, Optional

try:
    from mmsegsup.datasets.youtube_vos import write_youtube_vos_split
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from mmsegsup.datasets.youtube_vos import write_youtube_vos_split


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description='80/20 video split of YouTube-VOS train')
    parser.add_argument('root', help='YouTube-VOS root holding train/meta.json')
    parser.add_argument('--split', default='train', help='folder to split (default train)')
    parser.add_argument('--ratio', type=float, default=0.8, help='training share of videos')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for rel in write_youtube_vos_split(args.root, args.split, args.ratio, args.seed):
        path = osp.join(args.root, rel)
        with open(path) as f:
            print(f'{path}: {sum(1 for line in f if line.strip())} videos')


if __name__ == '__main__':
    main()
