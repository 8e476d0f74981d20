"""Segment what a sentence describes in an image, a video file or a folder of frames (RefVOS).

    python tools/demo/refvos_demo.py IMAGE_OR_VIDEO_OR_DIR "the red circle on the left" \
        --config configs/refvos/....py --checkpoint refvos.pth --out outputs/refvos.png \
        [--backend onnxruntime [--onnx refvos.onnx]]

An image gives an overlay PNG (the referent tinted and outlined); a video file (read with
OpenCV) or a folder of frames gives an overlay video (mp4, ``mp4v``). The sentence is encoded
once for the whole video; frames stream through the model, so long videos need constant
memory. Outputs are written to a temporary file and renamed. ``--backend onnxruntime`` runs
the checkpoint's ONNX graph, sentence encoder included (``--onnx``, else exported now).
"""
import argparse
import os
import os.path as osp
import tempfile
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmsegsup.apis.referring import inference_referring, init_referring_model
from mmsegsup.cli.export_onnx import add_backend_args, backend_from_args
from mmsegsup.utils.io import imwrite_atomic

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
COLOUR = np.array([60, 20, 220], np.float32)  # BGR crimson


def overlay(frame: np.ndarray, mask: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The frame with the referent (``mask > 0``) tinted and outlined."""
    out = frame.astype(np.float32)
    fg = mask > 0
    out[fg] = (1 - alpha) * out[fg] + alpha * COLOUR
    out = out.astype(np.uint8)
    contours, _ = cv2.findContours(fg.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, tuple(int(c) for c in COLOUR), 2)
    return out


def frame_files(folder: str) -> List[str]:
    files = sorted(osp.join(folder, f) for f in os.listdir(folder)
                   if f.lower().endswith(IMAGE_EXTS))
    if not files:
        raise FileNotFoundError(f'no frames ({", ".join(IMAGE_EXTS)}) in folder {folder}')
    return files


def video_frames(path: str) -> Tuple[int, float, Iterator[np.ndarray]]:
    """(frame count, fps, BGR frames) of a video file."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise FileNotFoundError(f'cannot open video {path} with OpenCV')
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0

    def frames() -> Iterator[np.ndarray]:
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    return
                yield frame
        finally:
            cap.release()
    return count, fps, frames()


def segment_image(model, path: str, sentence: str, out: str, backend=None) -> None:
    sample = inference_referring(model, path, sentence, backend=backend)
    frame = cv2.imread(path, cv2.IMREAD_COLOR)
    if frame is None:
        raise FileNotFoundError(f'cannot read image {path}')
    imwrite_atomic(overlay(frame, sample.pred_sem_seg.data[0].cpu().numpy()), out)


def segment_video(model, frames: Iterator[np.ndarray], count: int, fps: float, sentence: str,
                  out: str, backend=None) -> int:
    """Write the overlay video; the sentence is encoded once (the encoder memoises it in
    eval mode, and ``inference_referring`` encodes it once per call)."""
    bar = ProgressBar(count) if count > 0 else None
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=osp.splitext(out)[1] or '.mp4', dir=folder)
    os.close(fd)
    writer, written = None, 0
    try:
        for frame in frames:
            mask = inference_referring(model, frame, sentence, backend=backend
                                       ).pred_sem_seg.data[0].cpu().numpy()
            vis = overlay(frame, mask)
            if writer is None:
                writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps or 12.0,
                                         (vis.shape[1], vis.shape[0]))
                if not writer.isOpened():
                    raise RuntimeError(f'OpenCV cannot write an mp4 video to {tmp}')
            writer.write(vis)
            written += 1
            if bar is not None:
                bar.update()
        if writer is None:
            raise ValueError('the video has no frames')
        writer.release()
        writer = None
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.release()
        if osp.exists(tmp):
            os.remove(tmp)
    return written


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('source', help='image, video file or folder of frames')
    parser.add_argument('sentence', help='the referring expression')
    parser.add_argument('--config', required=True, help='RefVOS config')
    parser.add_argument('--checkpoint', required=True, help='trained checkpoint')
    parser.add_argument('--out', required=True,
                        help='overlay PNG (image input) or mp4 (video / frame folder)')
    parser.add_argument('--fps', type=float, default=12.0, help='fps of a frame folder video')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    add_backend_args(parser)
    args = parser.parse_args(argv)

    if not args.sentence.strip():
        parser.error('the sentence is empty: say which object to segment')
    if not osp.exists(args.source):
        raise FileNotFoundError(f'input {args.source} not found')
    is_dir = osp.isdir(args.source)
    ext = osp.splitext(args.source)[1].lower()
    if not is_dir and ext not in IMAGE_EXTS + VIDEO_EXTS:
        raise ValueError(f'{args.source}: expected an image ({", ".join(IMAGE_EXTS)}), a video '
                         f'({", ".join(VIDEO_EXTS)}) or a folder of frames')
    model = init_referring_model(args.config, args.checkpoint, device=args.device)
    backend = backend_from_args(args, model)  # the graph runs at any size
    if not is_dir and ext in IMAGE_EXTS:
        segment_image(model, args.source, args.sentence, args.out, backend)
        print(f'wrote {args.out}')
        return
    if is_dir:
        files = frame_files(args.source)
        frames = (cv2.imread(f, cv2.IMREAD_COLOR) for f in files)
        count, fps = len(files), args.fps
    else:
        count, fps, frames = video_frames(args.source)
    n = segment_video(model, frames, count, fps, args.sentence, args.out, backend)
    print(f'\nwrote {n} frames to {args.out}')


if __name__ == '__main__':
    main()
