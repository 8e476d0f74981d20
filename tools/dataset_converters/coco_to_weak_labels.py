"""Convert a COCO instances json to the weak labels of W-RSIS (image labels [+ counts]).

Usage:
    python tools/dataset_converters/coco_to_weak_labels.py \
        data/voc_sbd/annotations/train_aug.json data/voc_sbd/weak/train_aug_counts.json \
        [--weak-type labels|labels+counts] [--keep-crowd]

The output format is described in ``mmsegsup/formats/weak_labels.py``; load it with
``load_weak_labels(path, classes=dataset.metainfo['classes'])``. Crowd regions are not counted
unless ``--keep-crowd``. Bad input exits with status 2 and a one-line message.
"""
import argparse
import sys
from typing import List, Optional

import mmsegsup.formats.weak_labels as W


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='COCO instances json -> W-RSIS weak labels (image labels [+ counts])')
    parser.add_argument('ann_json', help='COCO instances json (input)')
    parser.add_argument('out_json', help='weak-label json (output, written atomically)')
    parser.add_argument('--weak-type', default=W.WEAK_LABELS_COUNTS, choices=W.WEAK_TYPES,
                        help='labels: presence only; labels+counts: instances per class')
    parser.add_argument('--keep-crowd', action='store_true',
                        help='count crowd regions as instances (skipped by default)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        full = W.weak_labels_from_coco(args.ann_json, W.WEAK_LABELS_COUNTS,
                                       ignore_crowd=not args.keep_crowd)
        weak = full.as_weak_type(args.weak_type)
        W.save_weak_labels(weak, args.out_json)
    except (OSError, ValueError) as err:  # FormatError is a ValueError
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {args.out_json} ({weak.weak_type}): {len(weak.images)} images, '
          f'{full.num_instances()} instances, {len(weak.classes)} classes')
    return 0


if __name__ == '__main__':
    sys.exit(main())
