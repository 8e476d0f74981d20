"""onnxruntime backends: an exported RVOS frame graph driven by ``VOSInferenceCore``, and an
RSIS image graph (:class:`ORTImageModel`).

:class:`ORTVideoModel` offers the three calls the core makes on a torch model
(``extract_feat``, ``head.frame``, ``head.upsample``) on top of one frame graph
(:mod:`mmsegsup.apis.onnx_export`), so the video protocol runs unchanged:
``VOSInferenceCore(ORTVideoModel('rvos.onnx'))``. ``onnxruntime`` is imported on use only.
"""
import json
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from ..models.heads.rvos_head import FrameOutput
from .onnx_export import KIND_KEY, RSIS_IMAGE, RVOS_FRAME, import_optional


def open_session(path: str, kind: str, providers: Optional[Sequence[str]] = None):
    """An onnxruntime session of ``path`` and its metadata, refused with a clear error when
    the file is not an mmsegsup export of ``kind``."""
    ort = import_optional('onnxruntime')
    try:
        options = ort.SessionOptions()
        # no busy-waiting between runs: the core's torch work shares the cores
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        sess = ort.InferenceSession(path, options,
                                    providers=list(providers or ['CPUExecutionProvider']))
    except Exception as err:  # onnxruntime raises its own types for unreadable files
        raise ValueError(f'{path}: not a readable ONNX model ({err})') from err
    props = sess.get_modelmeta().custom_metadata_map
    found = props.get(KIND_KEY)
    if found != kind:
        what = f'an mmsegsup {found!r} export' if found else 'not an mmsegsup export'
        raise ValueError(f'{path} is {what}; expected a {kind!r} export '
                         '(tools/deployment/export_onnx.py)')
    return sess, json.loads(props['mmsegsup.meta'])


class ORTFrameHead:
    """``RVOSHead``'s inference interface (``frame``, ``upsample`` and the protocol options)
    on an onnxruntime session of a frame graph."""

    def __init__(self, sess, meta: dict) -> None:
        self.sess, self.meta = sess, meta
        self.protocol, self.one_shot = meta['protocol'], meta['one_shot']
        self.recurrence, self.num_slots = meta['recurrence'], meta['num_slots']
        self.test_cfg = dict(meta['test_cfg'])
        self.inputs = {i.name for i in sess.get_inputs()}
        self.outputs = [o.name for o in sess.get_outputs()]

    def frame(self, feats: Tuple[Tensor], temporal: Optional[Sequence[list]],
              prev_masks: Optional[Tensor], num_objects: int) -> FrameOutput:
        """As :meth:`RVOSHead.frame` for the first ``num_objects`` slots of the graph (later
        slots run on zeros and are dropped: they never influence earlier ones); the mask
        logits come at the input size (the graph upsamples)."""
        image = feats[0]
        slots = self.num_slots
        if num_objects > slots:
            raise ValueError(f'{num_objects} objects, but this graph was exported for at most '
                             f'{slots} (export_onnx.py --num-slots)')
        if image.shape[0] != 1 or image.dim() != 4 or image.shape[1] != 3:
            raise ValueError(f'the frame graph takes one image (1, 3, H, W), got '
                             f'{tuple(image.shape)}')
        h, w = image.shape[-2:]
        feed = dict(image=image.detach().cpu().numpy().astype(np.float32))
        if self.one_shot:
            prev = np.zeros((1, slots, h, w), np.float32)
            prev[:, :num_objects] = prev_masks[:, :num_objects].cpu().numpy()
            feed['prev'] = prev
        if 'first' in self.inputs:
            feed['first'] = np.array(float(temporal is None), np.float32)
        feed.update(self._states(temporal, h, w))
        out = dict(zip(self.outputs, self.sess.run(
            self.outputs, {k: v for k, v in feed.items() if k in self.inputs})))
        levels = len(self.meta['channels'])
        states = [[(torch.from_numpy(out[f'new_h{k}'][i:i + 1]),
                    torch.from_numpy(out[f'new_c{k}'][i:i + 1])) for k in range(levels)]
                  for i in range(num_objects)]
        pick = (lambda name: None if name not in out
                else torch.from_numpy(out[name][:, :num_objects]))
        return FrameOutput(pick('logits'), pick('cls_logits'), pick('stop_logits'), states)

    def _states(self, temporal: Optional[Sequence[list]], h: int, w: int
                ) -> Dict[str, np.ndarray]:
        """Per level ``h{k}`` / ``c{k}`` ``(S, C_k, H_k, W_k)``: the objects' temporal states,
        zeros for slots without one (a missing state counts as zeros)."""
        feed = {}
        for k, (halve, ch) in enumerate(zip(self.meta['halvings'], self.meta['channels'])):
            hk, wk = h, w
            for _ in range(halve):
                hk, wk = -(-hk // 2), -(-wk // 2)
            for j, p in enumerate('hc'):
                arr = np.zeros((self.num_slots, ch, hk, wk), np.float32)
                for i, obj in enumerate(temporal or []):
                    arr[i] = obj[k][j][0].cpu().numpy()
                feed[f'{p}{k}'] = arr
        return feed

    def upsample(self, mask_logits: Tensor, size: Tuple[int, int]) -> Tensor:
        """The graph's logits are already at the input size."""
        if tuple(mask_logits.shape[-2:]) != tuple(size):
            raise ValueError(f'logits {tuple(mask_logits.shape[-2:])} are not at the input '
                             f'size {tuple(size)}')
        return mask_logits


class ORTVideoModel:
    """What :class:`~mmsegsup.models.vos.VOSInferenceCore` drives, on onnxruntime: the frame
    graph encodes inside ``head.frame``, so ``extract_feat`` passes the image through."""

    def __init__(self, path: str, providers: Optional[Sequence[str]] = None) -> None:
        sess, meta = open_session(path, RVOS_FRAME, providers)
        self.head = ORTFrameHead(sess, meta)

    def extract_feat(self, image: Tensor) -> List[Tensor]:
        return [image]


class ORTImageModel:
    """An RSIS image graph on onnxruntime: :meth:`step_probs` as :meth:`RSISHead.step_probs`
    (with ``bbox_pred`` / ``iou_pred`` where the head has them) of preprocessed images."""

    def __init__(self, path: str, providers: Optional[Sequence[str]] = None) -> None:
        self.sess, self.meta = open_session(path, RSIS_IMAGE, providers)
        self.outputs = [o.name for o in self.sess.get_outputs()]

    def step_probs(self, images: Tensor) -> Dict[str, Tensor]:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f'the image graph takes images (B, 3, H, W), got '
                             f'{tuple(images.shape)}')
        fixed = self.meta.get('input_size')
        if fixed and list(images.shape[-2:]) != fixed:
            raise ValueError(f'this graph was exported for {fixed[0]}x{fixed[1]} inputs (its '
                             f'decoder pools with the mask), got {images.shape[-2]}x'
                             f'{images.shape[-1]}: export again with --size')
        arrays = self.sess.run(self.outputs, dict(image=images.detach().cpu().numpy()))
        return {k: torch.from_numpy(v) for k, v in zip(self.outputs, arrays)}
