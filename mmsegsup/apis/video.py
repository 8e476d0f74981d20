"""Run a video object segmentation model on frames streamed from a file or a folder."""
import os.path as osp
from typing import Iterable, Iterator, List, Optional, Tuple

import cv2
import numpy as np
import torch

from ..formats import davis_layout
from ..formats.errors import FormatError
from ..formats.index_png import read_index_png
from ..models.vos.inference_core import VOSInferenceCore, id_map
from .onnx_backend import check_backend
from .onnx_export import RVOS_FRAME

FRAME_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def list_frames(source: str) -> List[str]:
    """Sorted image files of a frames folder (:func:`~mmsegsup.formats.davis_layout
    .list_frames` with the demo's image types); a clear error when there are none."""
    names = davis_layout.list_frames(source, osp.basename(osp.normpath(source)), FRAME_EXTS)
    return [osp.join(source, name) for name in names]


def read_frames(source: str) -> Iterator[np.ndarray]:
    """BGR frames of a video file or a folder of images, one at a time (constant memory)."""
    if osp.isdir(source):
        for path in list_frames(source):
            frame = cv2.imread(path)
            if frame is None:
                raise FormatError(f'{path}: not a readable image')
            yield frame
        return
    if not osp.isfile(source):
        raise FileNotFoundError(f'video {source} not found')
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise FormatError(f'{source}: OpenCV cannot decode this video')
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield frame
    finally:
        cap.release()


def count_frames(source: str) -> int:
    """Number of frames (exact for folders, from the container header for videos)."""
    if osp.isdir(source):
        return len(list_frames(source))
    cap = cv2.VideoCapture(source)
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()


def read_first_mask(path: str) -> np.ndarray:
    """Object ids ``(H, W)`` of a palette / indexed PNG (DAVIS first-frame annotation)."""
    return read_index_png(path, 'first-frame mask')


def inference_video(model, frames: Iterable[np.ndarray], first_mask: Optional[np.ndarray] = None,
                    input_size: Optional[Tuple[int, int]] = None, backend=None
                    ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Yields ``(frame, id_map)`` per frame, ``id_map`` uint8 (0 = background) with the object
    ids of ``first_mask`` (one-shot models) or the slot numbers 1..N (zero-shot models, which
    take no mask). Frames are consumed lazily, one :meth:`VOSInferenceCore.step` each.

    ``input_size`` ``(h, w)`` runs the model at that size, as the original RVOS demo does at
    240x427 (imatge-upc/rvos demo.py:29, :53): frames bilinear, the first mask nearest, and the
    id maps brought back to the frame's size (nearest). None: the frames' own size.

    ``backend``: what runs the network instead of ``model``, which still preprocesses, e.g.
    ``ORTVideoModel('rvos.onnx')`` (:mod:`mmsegsup.apis.onnx_backend`) of its export.
    """
    check_backend(backend, RVOS_FRAME, 'inference_video')
    core = VOSInferenceCore(backend or model)
    if core.one_shot and first_mask is None:
        raise ValueError('this model is one-shot: give the first-frame mask of the objects')
    if not core.one_shot:
        first_mask = None  # zero-shot models find the objects themselves
    given_ids = [] if first_mask is None else [int(i) for i in np.unique(first_mask)
                                               if i not in (0, 255)]
    core.clear(given_ids)  # only the first mask gives objects: no step beyond them runs
    device = next(model.parameters()).device
    with torch.no_grad():
        for t, frame in enumerate(frames):
            if t == 0 and first_mask is not None and frame.shape[:2] != first_mask.shape:
                raise FormatError(f'first-frame mask is {first_mask.shape[0]}x'
                                  f'{first_mask.shape[1]} but the frames are '
                                  f'{frame.shape[0]}x{frame.shape[1]}')
            image = frame if input_size is None else cv2.resize(
                frame, (input_size[1], input_size[0]), interpolation=cv2.INTER_LINEAR)
            tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
            inputs = model.data_preprocessor(dict(inputs=[tensor.to(device)],
                                                  data_samples=None), False)['inputs']
            shape = image.shape[:2]
            given = {}
            if t == 0 and first_mask is not None:
                ids = first_mask if input_size is None else cv2.resize(
                    first_mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
                given = {i: torch.from_numpy((ids == i).astype(np.float32)) for i in given_ids}
            out = core.step(inputs[:, 0], given)
            inst = core.instances(out, dict(img_shape=shape, ori_shape=shape))
            labels = id_map(inst.masks.cpu().numpy(), out.ids, shape)
            if input_size is not None:
                labels = cv2.resize(labels, (frame.shape[1], frame.shape[0]),
                                    interpolation=cv2.INTER_NEAREST)
            yield frame, labels
