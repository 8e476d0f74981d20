"""Export a model to ONNX for onnxruntime (issue 29): RVOS one graph per frame, RSIS and RefVOS
one graph per image batch; and the demos' ``--backend`` / ``--onnx`` options.

    python -m mmsegsup.cli.export_onnx CONFIG CHECKPOINT OUT.onnx [--num-slots N] [--size H W]

``tools/deployment/export_onnx.py`` calls :func:`main`. Run the file with the APIs'
``backend`` option (``inference_video`` / ``inference_image`` / ``inference_referring``), or
with ``--backend onnxruntime --onnx OUT.onnx`` in the demos (:func:`add_backend_args`).
"""
import argparse
import os.path as osp
import sys
import tempfile
import time
from typing import List, Optional, Tuple

from ..apis.onnx_export import RSIS_IMAGE, RVOS_FRAME, export_model

BACKENDS = ('pytorch', 'onnxruntime')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a model to ONNX (RVOS: per frame)')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument('--num-slots', type=int,
                        help='RVOS: most objects per frame (default: the head\'s num_slots)')
    parser.add_argument('--size', type=int, nargs=2, default=(64, 96), metavar=('H', 'W'),
                        help='traced input size (any size runs afterwards, but for RSIS '
                        'decoders that pool with the mask)')
    return parser.parse_args(argv)


def describe(kind: str, meta: dict) -> str:
    """One line on what an export holds."""
    if kind == RVOS_FRAME:
        return f'RVOS frame graph, {meta["num_slots"]} slots, protocol {meta["protocol"]}'
    if kind == RSIS_IMAGE:
        return f'RSIS image graph, {meta["max_steps"]} steps'
    return 'RefVOS image graph' + (', text encoder included' if meta['with_text'] else
                                   ' (visual only)')


def _load(config: str, checkpoint: str):
    """The model of ``config`` (mmdet or mmseg scope) with ``checkpoint``'s weights."""
    from mmengine.config import Config

    from ..apis import init_model, init_referring_model
    init = (init_referring_model if Config.fromfile(config).get('default_scope') ==
            'mmsegsup_seg' else init_model)
    return init(config, checkpoint)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        model = _load(args.config, args.checkpoint)
        start = time.perf_counter()
        kind, meta = export_model(model, args.out, tuple(args.size), args.num_slots)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except (TypeError, ValueError) as err:
        print(f'error: {args.config}: {err}', file=sys.stderr)
        return 1
    print(f'wrote {args.out} ({describe(kind, meta)}) in {time.perf_counter() - start:.1f} s')
    return 0


def add_backend_args(parser: argparse.ArgumentParser) -> None:
    """The demos' ``--backend`` and ``--onnx`` options."""
    parser.add_argument('--backend', choices=BACKENDS, default='pytorch',
                        help='what runs the network (onnxruntime: the ONNX export of the '
                        'checkpoint; the config still preprocesses)')
    parser.add_argument('--onnx', metavar='FILE',
                        help='with --backend onnxruntime: the export of CONFIG / CHECKPOINT '
                        '(tools/deployment/export_onnx.py); default: export into a temporary '
                        'file first')


def backend_from_args(args: argparse.Namespace, model, size: Tuple[int, int] = (64, 96)):
    """None (``--backend pytorch``), or the onnxruntime backend of ``args.onnx``, or of
    ``model`` exported now at ``size`` into a temporary file (removed with the backend)."""
    from ..apis.onnx_backend import open_backend
    if args.backend == 'pytorch':
        if args.onnx:
            raise ValueError(f'--onnx {args.onnx} runs with --backend onnxruntime only')
        return None
    if args.onnx:
        if not osp.isfile(args.onnx):
            raise FileNotFoundError(f'--onnx {args.onnx}: file not found')
        return open_backend(model, args.onnx)
    folder = tempfile.TemporaryDirectory(prefix='mmsegsup_onnx_')
    path = osp.join(folder.name, 'model.onnx')
    start = time.perf_counter()
    kind, meta = export_model(model, path, size)
    print(f'exported the {describe(kind, meta)} in {time.perf_counter() - start:.1f} s '
          '(export once with tools/deployment/export_onnx.py and pass --onnx to skip this)')
    return open_backend(model, path, temp_dir=folder)
