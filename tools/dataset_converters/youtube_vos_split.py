"""Write the video lists of YouTube-VOS train that the RVOS configs train and validate on.

Usage:
    python tools/dataset_converters/youtube_vos_split.py data/youtube-vos \
        --from-meta train-train-meta.json train-val-meta.json
    python tools/dataset_converters/youtube_vos_split.py data/youtube-vos [--ratio 0.8] [--seed 0]

With ``--from-meta``: the partition imatge-upc/rvos used (its README links the two files),
written as ``<root>/train/splits/train-train.txt`` and ``train-val.txt``, the thesis configs'
``video_list``s. Without: our seeded 80/20 split, ``train-80.txt`` and ``val-20.txt``. One
video per line; same input, same lists.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import List, Optional

try:
    from mmsegsup.formats.youtube_vos_splits import (write_youtube_vos_partition,
                                                    write_youtube_vos_split)
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from mmsegsup.formats.youtube_vos_splits import (write_youtube_vos_partition,
                                                    write_youtube_vos_split)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description='video lists of YouTube-VOS train')
    parser.add_argument('root', help='YouTube-VOS root holding train/meta.json')
    parser.add_argument('--split', default='train', help='folder to split (default train)')
    parser.add_argument('--from-meta', nargs='+', metavar='META',
                        help='meta.json-format files of a published partition, one list each')
    parser.add_argument('--ratio', type=float, default=0.8, help='training share of videos')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.from_meta:
        paths = write_youtube_vos_partition(args.root, args.from_meta, args.split)
    else:
        paths = write_youtube_vos_split(args.root, args.split, args.ratio, args.seed)
    for rel in paths:
        path = osp.join(args.root, rel)
        with open(path) as f:
            print(f'{path}: {sum(1 for line in f if line.strip())} videos')


if __name__ == '__main__':
    main()
