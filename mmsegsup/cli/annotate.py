"""Hand images to Label Studio / CVAT pre-filled with a model's masks, and read back what the
annotators submitted (:mod:`mmsegsup.annotators.exchange`).

    python -m mmsegsup.cli.annotate export CONFIG CHECKPOINT --images to_annotate.json \
        --image-root data/shapes/images/train --out-dir annotate [--tool label_studio cvat] \
        [--image-url http://host/images/] [--weak-file weak.json] [--score-thr 0.0]
    python -m mmsegsup.cli.annotate export --predictions pseudo/pseudo_instances.json \
        --images pseudo/pseudo_instances.json --image-ids 3 17 40 --image-root ... --out-dir D
    python -m mmsegsup.cli.annotate import EXPORT.json --images to_annotate.json \
        --out labels.json [--prefill annotate/prefill.json] [--iou 0.5]

``export`` writes ``to_annotate.json`` (the images: ``--image-ids`` of ``--images``, or all),
``prefill.json`` (the masks as COCO results: the model's, score = predicted IoU where it has
an IoU branch, or those of ``--predictions``, e.g. BASIS pseudo-labels to correct) and, per
tool, ``label_studio_tasks.json`` + ``label_studio_config.xml`` or ``cvat_coco.json``.
``import`` reads a COCO file, a Label Studio JSON export or a CVAT COCO 1.0 export, checks it
against the asked images and writes the labels as one COCO file; with ``--prefill`` it prints
what annotating them cost from scratch and from the pre-fill (budget model,
:mod:`mmsegsup.budget.prefill_cost`). Every file is written atomically. ``tools/annotate.py``
calls :func:`main`.
"""
import argparse
import os.path as osp
from typing import List, Optional

from ..annotators.exchange import (PREFILL, TO_ANNOTATE, TOOLS, export_selection, image_url,
                                   read_labels)
from ..annotators.prefill import predict_files, price_prefill
from ..budget.cost_model import SECONDS_PER_DAY
from ..formats.coco_json import coco_subset, load_coco_json
from ..formats.json_files import load_json
from ..utils.io import dump_json_atomic
from .args import add_instance_model_args


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Label Studio / CVAT exchange, pre-filled')
    sub = parser.add_subparsers(dest='command', required=True)
    exp = sub.add_parser('export', help="pre-fill images with a model's masks for the tools")
    add_instance_model_args(exp, optional=True)
    exp.add_argument('--predictions', help='instead, masks to pre-fill: COCO results or a COCO '
                     'file whose annotations have a score (BASIS pseudo_instances.json)')
    exp.add_argument('--images', required=True, help='COCO file of the images to annotate')
    exp.add_argument('--image-ids', type=int, nargs='+', help='only these of its images')
    exp.add_argument('--image-root', required=True, help='folder their file_names are under')
    exp.add_argument('--out-dir', required=True, help='where the exports are written')
    exp.add_argument('--tool', nargs='+', choices=TOOLS, default=list(TOOLS))
    exp.add_argument('--image-url', help='URL root the tasks show images under (default: '
                     "Label Studio's local-files URL of each file)")
    imp = sub.add_parser('import', help="check the annotators' export, write COCO labels")
    imp.add_argument('export', help='COCO file, Label Studio JSON export or CVAT COCO 1.0')
    imp.add_argument('--images', required=True, help='COCO file of the images asked')
    imp.add_argument('--out', required=True, help='COCO labels file to write')
    imp.add_argument('--prefill', help=f'the {PREFILL} of the export: price the labels')
    imp.add_argument('--iou', type=float, default=0.5,
                     help='a pre-filled mask counts as corrected at this IoU (else redrawn)')
    args = parser.parse_args(argv)
    if args.command == 'export' and (bool(args.predictions) == bool(args.config)
                                     or bool(args.config) != bool(args.checkpoint)):
        exp.error('give CONFIG CHECKPOINT or --predictions FILE (one of them)')
    return args


def _predictions(args: argparse.Namespace, images: dict) -> List[dict]:
    """The masks to pre-fill: the model's on ``images``, or those of ``--predictions``."""
    if args.checkpoint:
        return predict_files(args.config, args.checkpoint, images, args.image_root,
                             args.weak_file, args.score_thr, args.device)
    given = load_json(args.predictions, 'predictions')
    results = given['annotations'] if isinstance(given, dict) and 'annotations' in given \
        else given
    if not isinstance(results, list):
        raise SystemExit(f'{args.predictions}: expected COCO results or a COCO file')
    ids = {im['id'] for im in images['images']}
    return [r for r in results if isinstance(r, dict) and r.get('image_id') in ids
            and r.get('score', 0) >= args.score_thr]


def export(args: argparse.Namespace) -> None:
    images = load_coco_json(args.images, keys=('images', 'categories'), what='COCO images')
    images = coco_subset(images, [im['id'] for im in images['images']] if args.image_ids is None
                         else args.image_ids, with_annotations=False)
    if args.image_ids and len(images['images']) != len(set(args.image_ids)):
        raise SystemExit(f'{args.images}: no image with id(s) '
                         f'{sorted(set(args.image_ids) - {im["id"] for im in images["images"]})}')
    predictions = _predictions(args, images)
    dump_json_atomic(images, osp.join(args.out_dir, TO_ANNOTATE))
    dump_json_atomic(predictions, osp.join(args.out_dir, PREFILL))
    paths = export_selection(images, predictions, args.out_dir, args.tool,
                             image_url(args.image_root, args.image_url),
                             osp.basename(args.checkpoint or args.predictions))
    print(f'{len(predictions)} masks on {len(images["images"])} images: '
          f'{osp.join(args.out_dir, PREFILL)}')
    for path in paths.values():
        print(f'wrote {path}')


def import_labels(args: argparse.Namespace) -> None:
    images = load_coco_json(args.images, keys=('images', 'categories'), what='COCO images')
    labels = read_labels(args.export, images)
    dump_json_atomic(labels, args.out)
    print(f'{len(labels["annotations"])} masks on {len(labels["images"])} images: {args.out}')
    if args.prefill:
        scratch, prefilled = price_prefill(load_json(args.prefill, 'pre-fill'), labels,
                                           args.iou)
        saved = 100 * (1 - prefilled / scratch) if scratch else 0.0
        print(f'annotation time (budget model): from scratch {scratch:.1f} s '
              f'({scratch / SECONDS_PER_DAY:.4f} d), pre-filled {prefilled:.1f} s '
              f'({prefilled / SECONDS_PER_DAY:.4f} d), saved {saved:.0f} %')


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    (export if args.command == 'export' else import_labels)(args)


if __name__ == '__main__':
    main()
