"""onnxruntime backends: an exported RVOS frame graph driven by ``VOSInferenceCore``, an RSIS
image graph (:class:`ORTImageModel`) and a RefVOS graph (:class:`ORTReferringModel`).

:class:`ORTVideoModel` offers the three calls the core makes on a torch model
(``extract_feat``, ``head.frame``, ``head.upsample``) on top of one frame graph
(:mod:`mmsegsup.apis.onnx_export`), so the video protocol runs unchanged:
``VOSInferenceCore(ORTVideoModel('rvos.onnx'))``. The inference APIs take one as their
``backend`` (:func:`check_backend`); :func:`open_backend` opens the one a torch model's export
needs. ``onnxruntime`` is imported on use only.
"""
import json
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from ..models.heads.rvos_head import FrameOutput
from .onnx_export import (KIND_KEY, REFVOS_IMAGE, RSIS_IMAGE, RVOS_FRAME, import_optional,
                          model_kind)


def ort_session(model: Union[str, bytes], providers: Optional[Sequence[str]] = None):
    """An onnxruntime session of a file or a serialised model (CPU unless ``providers``)."""
    ort = import_optional('onnxruntime')
    options = ort.SessionOptions()
    # no busy-waiting between runs: the core's torch work shares the cores
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return ort.InferenceSession(model, options,
                                providers=list(providers or ['CPUExecutionProvider']))


def open_session(path: str, kind: str, providers: Optional[Sequence[str]] = None):
    """An onnxruntime session of ``path`` and its metadata, refused with a clear error when
    the file is not an mmsegsup export of ``kind`` (its metadata, and the graph's inputs)."""
    try:
        sess = ort_session(path, providers)
    except Exception as err:  # onnxruntime raises its own types for unreadable files
        raise ValueError(f'{path}: not a readable ONNX model ({err})') from err
    props = sess.get_modelmeta().custom_metadata_map
    found = props.get(KIND_KEY)
    if found != kind:
        what = (f'an mmsegsup {found!r} export' if found else 'not an mmsegsup export (its '
                f'inputs: {[i.name for i in sess.get_inputs()]})')
        raise ValueError(f'{path} is {what}; expected a {kind!r} export '
                         '(tools/deployment/export_onnx.py)')
    meta = json.loads(props['mmsegsup.meta'])
    inputs = [i.name for i in sess.get_inputs()]
    if not set(inputs) <= set(meta.get('input_names', ())):  # the exporter drops unused ones
        raise ValueError(f'{path}: its graph takes {inputs}, but its metadata says a {kind!r} '
                         f'export taking {meta.get("input_names")}: export it again')
    return sess, meta


class ORTFrameHead:
    """``RVOSHead``'s inference interface (``frame``, ``upsample`` and the protocol options)
    on an onnxruntime frame graph: for ``n`` objects, the sub-graph of its first ``n`` slots
    (extracted on first use, one session per count: the cost of ``n`` slots, not ``S``)."""

    def __init__(self, sess, meta: dict, path: str,
                 providers: Optional[Sequence[str]] = None) -> None:
        self.meta, self.path, self.providers = meta, path, providers
        self.protocol, self.one_shot = meta['protocol'], meta['one_shot']
        self.recurrence, self.num_slots = meta['recurrence'], meta['num_slots']
        self.test_cfg = dict(meta['test_cfg'])
        self.sessions = {self.num_slots: sess}

    def _outputs(self, count: int) -> List[str]:
        return [f'{name}_{i}' for i in range(count) for name in self.meta['slot_outputs']]

    def session(self, count: int):
        """The session of the first ``count`` slots."""
        if count not in self.sessions:
            onnx = import_optional('onnx')
            proto = onnx.load(self.path)
            sub = onnx.utils.Extractor(proto).extract_model(
                [i.name for i in proto.graph.input], self._outputs(count))
            self.sessions[count] = ort_session(sub.SerializeToString(), self.providers)
        return self.sessions[count]

    def frame(self, feats: Tuple[Tensor], temporal: Optional[Sequence[list]],
              prev_masks: Optional[Tensor], num_objects: int) -> FrameOutput:
        """As :meth:`RVOSHead.frame` for the first ``num_objects`` slots of the graph; the
        mask logits come at the input size (the graph upsamples)."""
        image = feats[0]
        slots = self.num_slots
        if num_objects > slots:
            raise ValueError(f'{num_objects} objects, but {self.path} was exported for at most '
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
        feed['first'] = np.array(float(temporal is None), np.float32)
        feed.update(self._states(temporal, h, w))
        sess, names = self.session(num_objects), self._outputs(num_objects)
        inputs = {i.name for i in sess.get_inputs()}
        out = {k: torch.from_numpy(v) for k, v in zip(names, sess.run(
            names, {k: v for k, v in feed.items() if k in inputs}))}
        levels = len(self.meta['channels'])
        states = [[(out[f'new_h{k}_{i}'], out[f'new_c{k}_{i}']) for k in range(levels)]
                  for i in range(num_objects)]
        pick = (lambda name: None if f'{name}_0' not in out
                else torch.cat([out[f'{name}_{i}'] for i in range(num_objects)], 1))
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


class ORTGraph:
    """An mmsegsup export of :attr:`kind` on onnxruntime (the file checked on opening).
    ``temp_dir``: a ``TemporaryDirectory`` holding the file, removed with the graph (an RVOS
    frame graph reads its file again for each new object count)."""

    kind = ''

    def __init__(self, path: str, providers: Optional[Sequence[str]] = None,
                 temp_dir=None) -> None:
        self.path, self.temp_dir = path, temp_dir
        self.sess, self.meta = open_session(path, self.kind, providers)


class ORTVideoModel(ORTGraph):
    """What :class:`~mmsegsup.models.vos.VOSInferenceCore` drives, on onnxruntime: the frame
    graph encodes inside ``head.frame``, so ``extract_feat`` passes the image through."""

    kind = RVOS_FRAME

    def __init__(self, path: str, providers: Optional[Sequence[str]] = None,
                 temp_dir=None) -> None:
        super().__init__(path, providers, temp_dir)
        if 'slot_outputs' not in self.meta:
            raise ValueError(f'{path}: a frame graph with stacked slot outputs (mmsegsup '
                             'before per-slot outputs): export it again')
        self.head = ORTFrameHead(self.sess, self.meta, path, providers)

    def extract_feat(self, image: Tensor) -> List[Tensor]:
        return [image]


class ORTImageModel(ORTGraph):
    """An RSIS image graph on onnxruntime: :meth:`step_probs` as :meth:`RSISHead.step_probs`
    (with ``bbox_pred`` / ``iou_pred`` where the head has them) of preprocessed images."""

    kind = RSIS_IMAGE

    def step_probs(self, images: Tensor) -> Dict[str, Tensor]:
        check_images(images, self.path)
        fixed = self.meta.get('input_size')
        if fixed and list(images.shape[-2:]) != fixed:
            raise ValueError(f'{self.path} was exported for {fixed[0]}x{fixed[1]} inputs (its '
                             f'decoder pools with the mask), got {images.shape[-2]}x'
                             f'{images.shape[-1]}: export again with --size')
        names = [o.name for o in self.sess.get_outputs()]
        arrays = self.sess.run(names, dict(image=images.detach().cpu().numpy()))
        return {k: torch.from_numpy(v) for k, v in zip(names, arrays)}


def check_images(images: Tensor, path: str) -> None:
    """Images as an image graph takes them: ``(B, 3, H, W)``."""
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f'{path}: the image graph takes images (B, 3, H, W), got '
                         f'{tuple(images.shape)}')


class ORTReferringModel(ORTGraph):
    """A RefVOS graph on onnxruntime: :meth:`logits` of preprocessed images and the token ids
    of their sentences, as :meth:`RefVOS.encode_decode` with the encoder's embedding."""

    kind = REFVOS_IMAGE

    def logits(self, images: Tensor, input_ids: Optional[Tensor] = None,
               attention_mask: Optional[Tensor] = None) -> Tensor:
        """``(B, 2, H, W)`` logits at the input size (no tokens for a visual-only model)."""
        check_images(images, self.path)
        feed = dict(image=images.detach().cpu().numpy().astype(np.float32))
        if self.meta['with_text']:
            feed.update(self._tokens(len(images), input_ids, attention_mask))
        return torch.from_numpy(self.sess.run(['logits'], feed)[0])

    def _tokens(self, batch: int, input_ids: Optional[Tensor],
                attention_mask: Optional[Tensor]) -> Dict[str, np.ndarray]:
        """The token inputs, checked: onnxruntime's own errors name neither file nor input."""
        if input_ids is None or attention_mask is None:
            raise ValueError(f'{self.path}: this RefVOS graph encodes the sentence: give its '
                             'input_ids and attention_mask')
        shape = (batch, input_ids.shape[-1])
        for name, arr in (('input_ids', input_ids), ('attention_mask', attention_mask)):
            if tuple(arr.shape) != shape:
                raise ValueError(f'{self.path}: {name} must be (B, L) = {shape} for {batch} '
                                 f'images, got {tuple(arr.shape)}')
        if not 0 < shape[1] <= self.meta['positions']:
            raise ValueError(f'{self.path}: sentences of 1 to {self.meta["positions"]} tokens, '
                             f'got {shape[1]}')
        if int(input_ids.min()) < 0 or int(input_ids.max()) >= self.meta['vocab_size']:
            raise ValueError(f'{self.path}: token ids must lie in [0, '
                             f'{self.meta["vocab_size"]}), got [{int(input_ids.min())}, '
                             f'{int(input_ids.max())}]: a tokenizer of another vocabulary?')
        return dict(input_ids=input_ids.cpu().numpy().astype(np.int64),
                    attention_mask=attention_mask.cpu().numpy().astype(np.int64))


BACKENDS = {RVOS_FRAME: ORTVideoModel, RSIS_IMAGE: ORTImageModel,
            REFVOS_IMAGE: ORTReferringModel}


def open_backend(model, path: str, providers: Optional[Sequence[str]] = None, temp_dir=None):
    """The onnxruntime backend of ``model``'s kind on its export ``path`` (a file of another
    kind is refused by name)."""
    return BACKENDS[model_kind(model)](path, providers, temp_dir)


def check_backend(backend, kind: str, api: str) -> None:
    """The one check of an inference API's ``backend`` option: None (the torch model runs) or
    an onnxruntime backend of ``kind``."""
    if backend is not None and getattr(backend, 'kind', None) != kind:
        found = getattr(backend, 'kind', None)
        where = f' of {backend.path}' if isinstance(backend, ORTGraph) else ''
        raise ValueError(f'{api} runs a {kind!r} graph ({BACKENDS[kind].__name__}), got '
                         f'{type(backend).__name__}{where}'
                         + (f' (a {found!r} graph)' if found else ''))
