"""Convert Pascal VOC 2012 (+ SBD) instance masks to a COCO instances json.

Usage:
    python tools/dataset_converters/voc_sbd_to_coco.py \
        --voc-root data/VOCdevkit/VOC2012 --sbd-root data/benchmark_RELEASE/dataset \
        --split train_aug --out data/voc_sbd/annotations/train_aug.json

Splits: train (1464), val (1449), train_aug (10582; needs --sbd-root). Load the
result with mmdet's CocoDataset, metainfo=dict(classes=VOC_CLASSES) and
data_prefix=dict(img='<voc-root>/JPEGImages/').
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import List, Optional

try:
    from mmsegsup.formats.voc_sbd import SPLITS, voc_sbd_to_coco
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from mmsegsup.formats.voc_sbd import SPLITS, voc_sbd_to_coco


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Pascal VOC 2012 + SBD instance segmentation -> COCO json')
    parser.add_argument('--voc-root', required=True, help='the VOCdevkit/VOC2012 folder')
    parser.add_argument(
        '--sbd-root', default=None,
        help='SBD benchmark_RELEASE/dataset folder (required for train_aug)')
    parser.add_argument('--split', required=True, choices=SPLITS)
    parser.add_argument('--out', required=True, help='output json path')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    counts = voc_sbd_to_coco(args.voc_root, args.sbd_root, args.split, args.out)
    print(f"\nwrote {args.out}: {counts['images']} images, "
          f"{counts['annotations']} instances")
    return 0


if __name__ == '__main__':
    sys.exit(main())
