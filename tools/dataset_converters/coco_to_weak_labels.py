"""Convert a COCO instances json to the weak labels of W-RSIS (image labels [+ counts]).

Usage:
    python tools/dataset_converters/coco_to_weak_labels.py \
        data/voc_sbd/annotations/train_aug.json data/voc_sbd/weak/train_aug_counts.json \
        [--weak-type labels|labels+counts] [--keep-crowd]

The output format is described in ``mmsegsup/datasets/weak_labels.py``; load it with
``load_weak_labels(path, classes=dataset.metainfo['classes'])``. Crowd regions are not counted
unless ``--keep-crowd``. Bad input exits with status 2 and a one-line message.
"""
import argparse
import importlib
import os.path as osp
import sys
import types
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load_weak_labels_module() -> types.ModuleType:
    """Import ``mmsegsup/datasets/weak_labels.py`` without running the package ``__init__``s.

    ``import mmsegsup`` first loads torch, mmdet and mmseg (seconds) to register models, while
    this module needs only the standard library, numpy and OpenCV. Empty stand-ins for the
    packages it imports from (``utils``, ``budget``) resolve its relative imports to their files.
    """
    package = '_mmsegsup_light'
    name = f'{package}.datasets.weak_labels'
    if name in sys.modules:
        return sys.modules[name]
    for sub in ('', 'datasets', 'utils', 'budget'):
        stand_in = types.ModuleType(f'{package}.{sub}' if sub else package)
        stand_in.__path__ = [osp.join(REPO, 'mmsegsup', sub)]
        sys.modules.setdefault(stand_in.__name__, stand_in)
    return importlib.import_module(name)


W = _load_weak_labels_module()


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
    except (OSError, ValueError) as err:  # DatasetFormatError is a ValueError
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {args.out_json} ({weak.weak_type}): {len(weak.images)} images, '
          f'{full.num_instances()} instances, {len(weak.classes)} classes')
    return 0


if __name__ == '__main__':
    sys.exit(main())
