"""ONNX export of RVOS per frame, RSIS and RefVOS per image (``tools/deployment/export_onnx.py``).

A model exports per unit of work (DESIGN.md "Deployment"): RVOS one graph per frame, its
recurrent state as explicit inputs and outputs, so the video protocol stays in
:class:`~mmsegsup.models.vos.VOSInferenceCore`, which drives the graph through
:class:`~mmsegsup.apis.onnx_backend.ORTVideoModel` exactly as it drives the torch model.

The frame graph (:class:`RVOSFrameGraph`): inputs ``image (1, C, H, W)`` (preprocessed,
dynamic height / width), ``prev (1, S, H, W)`` (one-shot: the previous masks of the ``S`` slots
the graph runs), ``first`` (only RVOS-T with the original protocol, whose first frame wires the
spatial state where later frames feed zeros) and per decoder level ``k`` the temporal states
``h{k}``, ``c{k}`` ``(S, C_k, H_k, W_k)``; outputs per slot ``i``: ``logits_{i} (1, 1, H, W)``
(mask logits at the input size), ``cls_logits_{i}`` / ``stop_logits_{i}`` with those branches,
and the new states ``new_h{k}_{i}``, ``new_c{k}_{i}``. Missing states are zeros: the ConvLSTM
counts a missing state as zeros. A slot never influences the slots before it, so the first
``n`` slots' outputs form a sub-graph: one file of ``S`` slots serves any count up to ``S`` at
that count's cost (:class:`~mmsegsup.apis.onnx_backend.ORTFrameHead` extracts it).

The RSIS image graph (:class:`RSISImageGraph`): ``image (B, C, H, W)`` (dynamic batch, and
size unless the decoder pools with its mask) -> what the original ``test()`` returns for every
step (:meth:`RSISHead.step_probs`): ``mask_probs (B, T, H, W)``, ``cls_probs (B, T, C)``,
``stop_probs (B, T)``, plus ``bbox_pred`` / ``iou_pred`` with those branches; the rules that
keep steps stay in torch.

The RefVOS graph (:class:`RefVOSGraph`): ``image (B, C, H, W)``, ``input_ids`` and
``attention_mask (B, L)`` (the sentence encoder's tokens, the encoder included; dynamic batch,
size and sentence length) -> ``logits (B, 2, H, W)`` at the input size, as
:meth:`RefVOS.encode_decode`; tokenising stays in Python (:meth:`~mmsegsup.models.text
.HFTextEncoder.tokenize`). A visual-only model (``fusion='none'``) takes the image alone.

``onnx`` is imported on use only (``import mmsegsup`` stays light).
"""
import copy
import json
import warnings
from contextlib import contextmanager
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

KIND_KEY = 'mmsegsup.kind'
RVOS_FRAME = 'rvos_frame'
RSIS_IMAGE = 'rsis_image'
REFVOS_IMAGE = 'refvos_image'
RSIS_OUTPUTS = ('mask_probs', 'cls_probs', 'stop_probs', 'bbox_pred', 'iou_pred')
OPSET = 17


def import_optional(name: str):
    """``onnx`` / ``onnxruntime``, imported on use, with the install line when missing."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ImportError(f'{name} is needed for ONNX export / onnxruntime inference: pip '
                          'install -c requirements/constraints.txt onnx onnxruntime') from err


class RVOSFrameGraph(nn.Module):
    """One frame of an RVOS model with explicit states (module docstring), to be traced."""

    def __init__(self, model: nn.Module, num_slots: int) -> None:
        super().__init__()
        self.model, self.head = model, model.head
        self.num_slots = num_slots
        self.num_levels = len(self.head.decoder.cells)
        # imatge-upc/rvos RVOS-T: no temporal state yet -> the spatial one (RVOSHead)
        self.first_flag = self.head.protocol == 'original' and self.head.recurrence == 'T'

    @property
    def input_names(self) -> List[str]:
        names = ['image'] + (['prev'] if self.head.one_shot else [])
        names += ['first'] if self.first_flag else []
        return names + [f'{p}{k}' for k in range(self.num_levels) for p in 'hc']

    @property
    def slot_outputs(self) -> List[str]:
        """What each slot ``i`` outputs, as ``{name}_{i}``."""
        names = ['logits']
        names += ['cls_logits'] if self.head.fc_cls is not None else []
        names += ['stop_logits'] if self.head.fc_stop is not None else []
        return names + [f'new_{p}{k}' for k in range(self.num_levels) for p in 'hc']

    @property
    def output_names(self) -> List[str]:
        return [f'{name}_{i}' for i in range(self.num_slots) for name in self.slot_outputs]

    def forward(self, *inputs: Tensor) -> Tuple[Tensor, ...]:
        named = dict(zip(self.input_names, inputs))
        image = named['image']
        feats = self.model.extract_feat(image)
        temporal = [[(named[f'h{k}'][i:i + 1], named[f'c{k}'][i:i + 1])
                     for k in range(self.num_levels)] for i in range(self.num_slots)]
        size = image.shape[-2:]
        out = self._frame(feats, temporal, named.get('prev'), size)
        if self.first_flag:
            start = self._frame(feats, None, named.get('prev'), size)
            out = [torch.where(named['first'] > 0, a, b) for a, b in zip(start, out)]
        return tuple(out)

    def _frame(self, feats: Tuple[Tensor], temporal: Optional[list], prev: Optional[Tensor],
               size) -> List[Tensor]:
        """:meth:`RVOSHead.frame`'s slot loop with each slot's outputs as its own tensors (logits
        at the input size), not slices of stacks: the first ``n`` slots are then a sub-graph
        that runs alone, so one file serves any object count at its cost (the backend)."""
        head = self.head
        proj, spatial, flat = head.decoder.project(feats), None, []
        for i in range(self.num_slots):
            mask, pooled, spatial = head._object_step(
                proj, spatial, None if temporal is None else temporal[i],
                None if prev is None else prev[:, i:i + 1])
            flat.append(head.upsample(mask[:, None], size))
            flat += [fc(pooled[:, None]) for fc in (head.fc_cls, ) if fc is not None]
            flat += [head.fc_stop(pooled[:, None])[..., 0]] if head.fc_stop is not None else []
            flat += [spatial[k][j] for k in range(self.num_levels) for j in (0, 1)]
        return flat


def level_halvings(model: nn.Module, num_slots: int, sizes: Sequence[Tuple[int, int]]
                   ) -> List[int]:
    """How many ceil-halvings of the input give each decoder level's state size (what the
    backend needs to make first-frame zero states); checked on ``sizes`` (an odd one too),
    else the model cannot be exported with explicit states."""
    halvings = None
    for h, w in sizes:
        states = _states(model, num_slots, h, w)
        found = [_halvings(h, w, s.shape[-2:]) for s in states[::2]]
        if None in found or (halvings is not None and found != halvings):
            raise ValueError('cannot export: the decoder levels of this model are not ceil '
                             f'halvings of the input (input {h}x{w}, states '
                             f'{[tuple(s.shape[-2:]) for s in states[::2]]})')
        halvings = found
    return halvings


def _halvings(h: int, w: int, size: Sequence[int]) -> Optional[int]:
    for n in range(12):
        if (h, w) == tuple(size):
            return n
        h, w = -(-h // 2), -(-w // 2)
    return None


def _states(model: nn.Module, num_slots: int, h: int, w: int) -> List[Tensor]:
    """Flat ``[h0, c0, h1, c1, ...]`` states of a first frame at ``h x w``, stacked over slots."""
    head = model.head
    image = torch.zeros(1, 3, h, w)
    prev = torch.zeros(1, num_slots, h, w) if head.one_shot else None
    with torch.no_grad():
        out = head.frame(model.extract_feat(image), None, prev, num_slots)
    return [torch.cat([s[k][j] for s in out.states])
            for k in range(len(head.decoder.cells)) for j in (0, 1)]


def export_rvos_frame(model: nn.Module, out_file: str, num_slots: Optional[int] = None,
                      size: Tuple[int, int] = (64, 96)) -> Dict[str, str]:
    """Writes the frame graph of an RVOS ``model`` (a CPU copy in eval mode) to ``out_file`` and
    returns its metadata. ``num_slots``: the most objects it runs per frame (default the
    head's ``num_slots``, all steps of the original); ``size``: the traced input (any size
    runs)."""
    head = getattr(model, 'head', None)
    if not callable(getattr(head, 'frame', None)):
        raise TypeError(f'{type(model).__name__} is not an RVOS model (no head.frame)')
    num_slots = int(num_slots or head.num_slots)
    model = copy.deepcopy(model).cpu().eval()  # the exporter restores modes: trace a copy
    graph = RVOSFrameGraph(model, num_slots).eval()
    halvings = level_halvings(model, num_slots, [size, (size[0] + 3, size[1] + 5)])
    states = _states(model, num_slots, *size)
    inputs = [torch.zeros(1, 3, *size)]
    inputs += [torch.rand(1, num_slots, *size)] if head.one_shot else []
    inputs += [torch.ones(())] if graph.first_flag else []
    inputs += [torch.randn_like(s) for s in states]
    dynamic = {'image': {2: 'height', 3: 'width'}, 'prev': {2: 'height', 3: 'width'}}
    dynamic.update({f'logits_{i}': {2: 'height', 3: 'width'} for i in range(num_slots)})
    for k in range(graph.num_levels):
        for p in 'hc':
            dynamic[f'{p}{k}'] = {2: f'height{k}', 3: f'width{k}'}
            dynamic.update({f'new_{p}{k}_{i}': dynamic[f'{p}{k}'] for i in range(num_slots)})
    meta = dict(num_slots=num_slots, halvings=halvings, slot_outputs=graph.slot_outputs,
                channels=[int(s.shape[1]) for s in states[::2]], protocol=head.protocol,
                one_shot=head.one_shot, recurrence=head.recurrence, test_cfg=head.test_cfg,
                input_names=graph.input_names, output_names=graph.output_names)
    _export(graph, tuple(inputs), out_file, dynamic, RVOS_FRAME, meta)
    return meta


def _export(graph: nn.Module, inputs: Tuple[Tensor, ...], out_file: str,
            dynamic: Dict[str, Dict[int, str]], kind: str, meta: dict) -> None:
    """Traces ``graph`` (TorchScript exporter: plain ops, no onnxscript) and stores ``kind``
    and ``meta`` (JSON) in the file's metadata, which the backend checks."""
    onnx = import_optional('onnx')
    names = graph.input_names
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter's deprecation and the tracer's notes on shape arithmetic
        warnings.filterwarnings('ignore', category=DeprecationWarning)
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        torch.onnx.export(graph, inputs, out_file, input_names=names,
                          output_names=graph.output_names, opset_version=OPSET,
                          dynamic_axes={k: v for k, v in dynamic.items()
                                        if k in names or k in graph.output_names},
                          dynamo=False)
    proto = onnx.load(out_file)
    for key, value in ((KIND_KEY, kind), ('mmsegsup.meta', json.dumps(meta))):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, out_file)


def _bins(size: int, out: int) -> Tensor:
    """``(out, size)`` averaging matrix of adaptive average pooling along one axis (bin ``i``
    covers ``[floor(i * size / out), ceil((i + 1) * size / out))``)."""
    mat = torch.zeros(out, size)
    for i in range(out):
        lo, hi = (i * size) // out, -(-((i + 1) * size) // out)
        mat[i, lo:hi] = 1.0 / (hi - lo)
    return mat


@contextmanager
def traceable_adaptive_pool():
    """While tracing a fixed-size graph: ``F.adaptive_avg_pool2d`` as two constant matrix
    products (the exporter has no form for uneven bins), the same averages."""
    original = F.adaptive_avg_pool2d

    def pool(x: Tensor, output_size) -> Tensor:
        (h, w), (oh, ow) = x.shape[-2:], output_size
        rows, cols = _bins(int(h), int(oh)), _bins(int(w), int(ow))
        return rows @ x @ cols.T

    F.adaptive_avg_pool2d = pool
    try:
        yield
    finally:
        F.adaptive_avg_pool2d = original


class RSISImageGraph(nn.Module):
    """One batch of images through RSIS: the step probabilities (module docstring)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model, self.head = model, model.bbox_head
        probe = self._outs(torch.zeros(1, 3, 64, 64))
        self.output_names = [k for k in RSIS_OUTPUTS if k in probe]
        self.input_names = ['image']

    def _outs(self, image: Tensor) -> Dict[str, Tensor]:
        outs = self.head(self.model.extract_feat(image))
        probs = self.head.step_probs(outs, [dict(batch_input_shape=image.shape[-2:])])
        probs.update({k: outs[k] for k in ('bbox_pred', 'iou_pred') if k in outs})
        return probs

    def forward(self, image: Tensor) -> Tuple[Tensor, ...]:
        outs = self._outs(image)
        return tuple(outs[k] for k in self.output_names)


def export_rsis_image(model: nn.Module, out_file: str, size: Tuple[int, int] = (64, 96)
                      ) -> Dict[str, object]:
    """Writes the image graph of an RSIS ``model`` (a CPU copy in eval mode), for any input
    size, or for ``size`` only when the decoder pools with the mask (``'mask'``); refuses heads
    whose inference needs more than the image (a weak-label filter reads the image labels,
    W-RSIS's class tokens)."""
    head = getattr(model, 'bbox_head', None)
    if not callable(getattr(head, 'step_probs', None)):
        raise TypeError(f'{type(model).__name__} is not an RSIS model (no bbox_head.step_probs)')
    if getattr(head, 'weak_filter', None) is not None or type(head).__name__ != 'RSISHead':
        raise ValueError(f'cannot export {type(head).__name__}'
                         + (' with a weak-label filter' if head.weak_filter is not None else '')
                         + ': its inference needs more than the image (labels / class tokens)')
    model = copy.deepcopy(model).cpu().eval()
    graph = RSISImageGraph(model).eval()
    # 'mask' pooling averages onto each level's size (adaptive pooling): a fixed input size
    fixed = 'mask' in head.decoder.pooling
    sized = {0: 'batch'} if fixed else {0: 'batch', 2: 'height', 3: 'width'}
    dynamic = dict(image=sized, mask_probs=sized, **{k: {0: 'batch'} for k in RSIS_OUTPUTS[1:]})
    meta = dict(max_steps=head.max_steps, test_cfg=dict(head.test_cfg),
                input_names=graph.input_names, output_names=graph.output_names,
                input_size=list(size) if fixed else None)
    with traceable_adaptive_pool():
        _export(graph, (torch.randn(2, 3, *size), ), out_file, dynamic, RSIS_IMAGE, meta)
    return meta


class RefVOSGraph(nn.Module):
    """Images and their tokenised sentences through RefVOS: logits at the input size."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.with_text = model.text_encoder is not None
        self.input_names = ['image'] + (['input_ids', 'attention_mask'] if self.with_text
                                        else [])
        self.output_names = ['logits']

    def forward(self, image: Tensor, *tokens: Tensor) -> Tensor:
        text = self.model.text_encoder.encode_ids(*tokens) if self.with_text else None
        # a torch.Size img_shape: mmseg resizes to it (its slide branch), traced as a shape
        return self.model.encode_decode(image, [dict(img_shape=image.shape[2:])], text)


def export_refvos(model: nn.Module, out_file: str, size: Tuple[int, int] = (64, 96)
                  ) -> Dict[str, object]:
    """Writes the graph of a RefVOS ``model`` (a CPU copy in eval mode): any batch, input
    size and sentence length up to the encoder's positions. Refuses sliding-window inference
    (its window count depends on the input size, which a graph cannot follow)."""
    if not hasattr(model, 'text_encoder') or not callable(getattr(model, 'encode_decode', None)):
        raise TypeError(f'{type(model).__name__} is not a RefVOS model (no text_encoder / '
                        'encode_decode)')
    mode = model.test_cfg.get('mode', 'whole')
    if mode != 'whole':
        raise ValueError(f"cannot export test_cfg.mode={mode!r}: only 'whole' inference traces "
                         'into one graph (sliding windows depend on the input size)')
    model = copy.deepcopy(model).cpu().eval()
    graph = RefVOSGraph(model).eval()
    inputs = [torch.randn(2, 3, *size)]
    meta = dict(input_names=graph.input_names, with_text=graph.with_text)
    if graph.with_text:
        bert = model.text_encoder.model.config
        meta.update(vocab_size=int(bert.vocab_size), positions=int(bert.max_position_embeddings),
                    max_length=model.text_encoder.max_length)
        ids = torch.randint(0, meta['vocab_size'], (2, 6),
                            generator=torch.Generator().manual_seed(0))
        mask = torch.ones_like(ids)
        mask[1, 4:] = 0  # a padded sentence: the traced graph keeps the masking
        inputs += [ids, mask]
    dynamic = dict(image={0: 'batch', 2: 'height', 3: 'width'},
                   input_ids={0: 'batch', 1: 'length'}, attention_mask={0: 'batch', 1: 'length'},
                   logits={0: 'batch', 2: 'height', 3: 'width'})
    _export(graph, tuple(inputs), out_file, dynamic, REFVOS_IMAGE, meta)
    return meta


def model_kind(model: nn.Module) -> str:
    """Which graph ``model`` exports to (:data:`RVOS_FRAME`, :data:`RSIS_IMAGE`,
    :data:`REFVOS_IMAGE`), from the interface it offers."""
    if callable(getattr(getattr(model, 'head', None), 'frame', None)):
        return RVOS_FRAME
    if callable(getattr(getattr(model, 'bbox_head', None), 'step_probs', None)):
        return RSIS_IMAGE
    if hasattr(model, 'text_encoder') and callable(getattr(model, 'encode_decode', None)):
        return REFVOS_IMAGE
    raise TypeError(f'{type(model).__name__} cannot be exported: ONNX export covers RVOS (per '
                    'frame), RSIS and RefVOS (per image)')


def export_model(model: nn.Module, out_file: str, size: Tuple[int, int] = (64, 96),
                 num_slots: Optional[int] = None) -> Tuple[str, dict]:
    """Exports ``model`` to the graph of its kind: ``(kind, metadata)``. ``size``: the traced
    input (any size runs, but for RSIS decoders that pool with the mask); ``num_slots``: RVOS
    only (default the head's)."""
    kind = model_kind(model)
    if kind == RVOS_FRAME:
        return kind, export_rvos_frame(model, out_file, num_slots, size)
    if num_slots is not None:
        raise ValueError(f'num_slots applies to RVOS frame graphs, not to a {kind!r} export')
    export = export_rsis_image if kind == RSIS_IMAGE else export_refvos
    return kind, export(model, out_file, size)
