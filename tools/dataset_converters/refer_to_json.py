"""Convert a refer ``refs(<split_by>).p`` pickle (RefCOCO / RefCOCO+ / RefCOCOg) to JSON.

Usage:
    python tools/dataset_converters/refer_to_json.py data/refcoco/refcoco/refs(unc).p \
        [--out data/refcoco/refcoco/refs(unc).json]

The JSON lands beside the pickle by default, where ``RefCOCODataset`` prefers it (fast, and no
pickle is opened again). The pickle is read with a loader that refuses every global, so a
tampered file cannot run code. Bad input exits with status 2 and a one-line message.
"""
import argparse
import sys
from typing import List, Optional

from mmsegsup.formats.refer import load_refs, refer_to_json


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='refer refs(<split_by>).p -> .json')
    parser.add_argument('pickle', help='refs(<split_by>).p of the refer toolkit (input)')
    parser.add_argument('--out', default=None,
                        help='output json (default: refs(<split_by>).json beside the pickle; '
                             'written atomically)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        out = refer_to_json(args.pickle, args.out)
        refs = load_refs(out)
    except (OSError, ValueError) as err:  # FormatError is a ValueError
        print(f'error: {err}', file=sys.stderr)
        return 2
    sents = sum(len(ref['sentences']) for ref in refs)
    print(f'wrote {out}: {len(refs)} refs, {sents} sentences')
    return 0


if __name__ == '__main__':
    sys.exit(main())
