"""Export a model to ONNX for onnxruntime (issue 29): RVOS one graph per frame, RSIS one graph
per image batch.

    python -m mmsegsup.cli.export_onnx CONFIG CHECKPOINT OUT.onnx [--num-slots N] [--size H W]

``tools/deployment/export_onnx.py`` calls :func:`main`. Run the file with
``VOSInferenceCore(ORTVideoModel(OUT))`` (RVOS) or ``ORTImageModel(OUT)`` (RSIS), of
:mod:`mmsegsup.apis.onnx_backend`.
"""
import argparse
import sys
from typing import List, Optional

from ..apis import init_model
from ..apis.onnx_export import export_rsis_image, export_rvos_frame


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a model to ONNX (RVOS: per frame)')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument('--num-slots', type=int,
                        help='RVOS: most objects per frame (default: the head\'s num_slots)')
    parser.add_argument('--size', type=int, nargs=2, default=(64, 96), metavar=('H', 'W'),
                        help='traced input size (any size runs afterwards)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        model = init_model(args.config, args.checkpoint)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    is_rvos = callable(getattr(getattr(model, 'head', None), 'frame', None))
    is_rsis = callable(getattr(getattr(model, 'bbox_head', None), 'step_probs', None))
    if not (is_rvos or is_rsis):
        print(f'error: {args.config}: {type(model).__name__} cannot be exported yet (ONNX '
              'export covers RVOS per frame and RSIS per image)', file=sys.stderr)
        return 1
    try:
        if is_rvos:
            meta = export_rvos_frame(model, args.out, args.num_slots, tuple(args.size))
            what = f'RVOS frame graph, {meta["num_slots"]} slots, protocol {meta["protocol"]}'
        else:
            meta = export_rsis_image(model, args.out, tuple(args.size))
            what = f'RSIS image graph, {meta["max_steps"]} steps'
    except (TypeError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'wrote {args.out} ({what})')
    return 0
