"""Segment the objects of a video (file or folder of frames): one-shot from their first-frame
mask, or zero-shot (no mask) with a zero-shot model.

    python tools/demo/video_demo.py VIDEO_OR_DIR CONFIG CHECKPOINT [--first-mask 00000.png] \
        --out-dir outputs/video_demo [--gif] [--input-size H W] \
        [--backend onnxruntime [--onnx rvos.onnx]]

Writes a DAVIS palette PNG and an overlay JPEG per frame, plus ``overlay.mp4`` (or a GIF with
``--gif``), at the frames' size. Frames stream through the model, so long videos run in constant
memory. The model runs at the fixed size of the config's test pipeline Resize if it has one (a
converted DAVIS model: 240x427, as the original demo), else at the frames' own size;
``--input-size H W`` overrides (``0 0``: the frames' own size). ``--backend onnxruntime`` runs
the checkpoint's ONNX frame graph (``--onnx``, else exported now) under the same protocol.
"""
import argparse
import os
import os.path as osp
from typing import Any, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image

from mmsegsup.apis import count_frames, inference_video, init_model, read_first_mask, read_frames
from mmsegsup.cli.export_onnx import add_backend_args, backend_from_args
from mmsegsup.formats.index_png import write_index_png
from mmsegsup.formats.palettes import DAVIS_PALETTE
from mmsegsup.utils import imwrite_atomic
from mmsegsup.utils.config_steps import find_steps

COLOURS = np.array(DAVIS_PALETTE, np.float32)[:, ::-1]  # BGR


def overlay(frame: np.ndarray, id_map: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend each object's DAVIS colour into the frame and outline it."""
    out = frame.astype(np.float32)
    fg = id_map > 0
    out[fg] = (1 - alpha) * out[fg] + alpha * COLOURS[id_map[fg]]
    out = out.astype(np.uint8)
    for obj in np.unique(id_map[fg]):
        contours, _ = cv2.findContours((id_map == obj).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, tuple(int(c) for c in COLOURS[obj]), 1)
    return out


def test_input_size(cfg: Any) -> Optional[Tuple[int, int]]:
    """``(h, w)`` of the one fixed-size Resize (``keep_ratio=False``) in the config's test
    dataloader (wrapped datasets and broadcast transforms included), else None."""
    resizes = find_steps(cfg.get('test_dataloader', {}), 'Resize')
    scales = {tuple(step['scale']) for step in resizes if not step.get('keep_ratio', False)}
    if len(scales) != 1:
        return None
    w, h = scales.pop()
    return int(h), int(w)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('source', help='video file or folder of frames')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--first-mask',
                        help='palette PNG of object ids for the first frame (one-shot models)')
    parser.add_argument('--out-dir', default='outputs/video_demo')
    parser.add_argument('--gif', action='store_true', help='write overlay.gif, not mp4')
    parser.add_argument('--fps', type=float, default=12.0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'),
                        help="the model's input size (default: the config's test Resize, else "
                        "the frames' size; 0 0: the frames' size)")
    add_backend_args(parser)
    args = parser.parse_args(argv)

    first_mask = read_first_mask(args.first_mask) if args.first_mask else None
    model = init_model(args.config, args.checkpoint, device=args.device)
    size = test_input_size(model.cfg) if args.input_size is None else tuple(args.input_size)
    if size is not None and min(size) <= 0:
        size = None
    backend = backend_from_args(args, model)  # the frame graph runs at any size
    os.makedirs(args.out_dir, exist_ok=True)
    bar = ProgressBar(count_frames(args.source))
    writer, gif_frames = None, []
    frames = read_frames(args.source)
    for t, (frame, id_map) in enumerate(inference_video(model, frames, first_mask, size,
                                                                 backend)):
        write_index_png(id_map, osp.join(args.out_dir, 'masks', f'{t:05d}.png'), DAVIS_PALETTE)
        vis = overlay(frame, id_map)
        imwrite_atomic(vis, osp.join(args.out_dir, 'overlays', f'{t:05d}.jpg'))
        if args.gif:
            gif_frames.append(Image.fromarray(vis[:, :, ::-1]))
        else:
            if writer is None:
                writer = cv2.VideoWriter(osp.join(args.out_dir, 'overlay.mp4'),
                                         cv2.VideoWriter_fourcc(*'mp4v'), args.fps,
                                         (vis.shape[1], vis.shape[0]))
            writer.write(vis)
        bar.update()
    if writer is not None:
        writer.release()
    if gif_frames:
        gif_frames[0].save(osp.join(args.out_dir, 'overlay.gif'), save_all=True,
                           append_images=gif_frames[1:], duration=int(1000 / args.fps), loop=0)
    print(f'\nwrote {args.out_dir}/masks/*.png, overlays/*.jpg and '
          f'overlay.{"gif" if args.gif else "mp4"}')


if __name__ == '__main__':
    main()
