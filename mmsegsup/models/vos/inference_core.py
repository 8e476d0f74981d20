"""The video object segmentation protocol of RVOS, apart from the network's per-frame maths.

As hkchengrex/Cutie's ``InferenceCore``: the head knows how to segment the objects of one frame
given their states and previous masks (:meth:`RVOSHead.frame`); this object knows which objects
exist, in which slot, which masks were given when, what is carried to the next frame, and how the
probabilities become one object id per pixel. ``RVOS.predict`` (``tools/test.py`` and the VOS
metrics behind it), ``apis.inference_video`` (the demo) and scripts all run videos through it,
feeding frames one at a time with :meth:`VOSInferenceCore.step`.
"""
from typing import Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

Size = Tuple[int, int]


class Propagated(NamedTuple):
    """One frame of one video (:meth:`VOSInferenceCore.step`)."""
    ids: List[int]  # object ids (one-shot, assigned slots) or slot numbers 1..N (zero-shot)
    probs: Tensor  # (N, H_pad, W_pad) mask probabilities
    stop: Optional[Tensor] = None  # (N,) stop-branch probabilities
    cls_probs: Optional[Tensor] = None  # (N, C) class-branch probabilities


def given_masks(sample: DetDataSample) -> Dict[int, Tensor]:
    """The masks a frame's ``gt_instances`` gives, by object id (none is fine)."""
    if 'gt_instances' not in sample or len(sample.gt_instances) == 0:
        return {}
    gt = sample.gt_instances
    masks = gt.masks.to_tensor(torch.float32, 'cpu')
    return {int(i): masks[k] for k, i in enumerate(gt.instances_ids.tolist())}


def _stack(given: Mapping[int, Tensor], ids: Sequence[int], size: Size,
           device: torch.device) -> Tensor:
    """``(1, len(ids), H, W)`` masks of ``ids``, zero-padded (bottom / right) to ``size``."""
    out = torch.zeros((1, len(ids)) + tuple(size), device=device)
    for k, obj in enumerate(ids):
        mask = torch.as_tensor(given[obj], dtype=torch.float32, device=device)
        if mask.shape[0] > size[0] or mask.shape[1] > size[1]:
            raise ValueError(f'the mask given for object {obj} is {tuple(mask.shape)}, larger '
                             f'than the input {tuple(size)}')
        out[0, k, :mask.shape[0], :mask.shape[1]] = mask
    return out


def id_map(masks: np.ndarray, ids: Sequence[int], shape: Size) -> np.ndarray:
    """uint8 ``(H, W)`` label map (0 = background) of disjoint boolean ``masks`` of ``ids``:
    the DAVIS / YouTube-VOS results format."""
    out = np.zeros(shape, np.uint8)
    for mask, obj in zip(masks, ids):
        out[mask] = obj
    return out


class VOSInferenceCore:
    """Runs one video at a time through an RVOS-like head (one with ``frame()``).

    The protocol follows ``head.protocol``:

    - ``'mmsegsup'``: one-shot, an object enters tracking at the first frame that gives its
      mask, and that frame yields the given mask (later masks of a tracked object are ignored);
      only the tracked objects run, in order of entry; the masks passed on are binarised at
      ``mask_thr``. Zero-shot, the ``num_slots`` slots are the proposals (DAVIS unsupervised),
      or with ``slot_assignment='first_frame'`` (thesis protocol) the masks given at a frame
      pick, by a Hungarian assignment on IoU among the free slots, which slot is which object,
      kept for the rest of the video.
    - ``'original'``: imatge-upc/rvos's test scripts: all ``num_slots`` (maxseqlen) steps run,
      object ``i`` sits at step ``i - 1``; a given mask replaces its slot's previous mask at the
      frame it is given, and from frame 1 on the soft outputs are passed on. Zero-shot, all
      slots are output (or assigned as above with ``slot_assignment='first_frame'``).

    Only the recurrent states and the previous masks are kept between frames, so a video of any
    length runs in constant memory. Thresholds default to the head's ``test_cfg``.
    """

    def __init__(self, head, mask_thr: Optional[float] = None,
                 stop_thr: Optional[float] = None,
                 slot_assignment: Optional[str] = None) -> None:
        if not callable(getattr(head, 'frame', None)):
            raise TypeError(f'{type(head).__name__} is not a video object segmentation head '
                            '(expected an RVOS-like head with frame())')
        self.head = head
        cfg = head.test_cfg
        self.mask_thr = cfg['mask_thr'] if mask_thr is None else mask_thr
        self.stop_thr = cfg['stop_thr'] if stop_thr is None else stop_thr
        self.slot_assignment = (cfg['slot_assignment'] if slot_assignment is None
                                else slot_assignment)
        self.clear()

    @property
    def one_shot(self) -> bool:
        return self.head.one_shot

    def clear(self) -> None:
        """Forget the video: the next :meth:`step` is a first frame."""
        self.frame_index = 0
        self.ids: List[int] = []  # tracked objects (one-shot), in slot order
        self.slot_of: Dict[int, int] = {}  # zero-shot thesis protocol: object id -> slot
        self.temporal = None
        self.prev: Optional[Tensor] = None

    # ------------------------------------------------------------------ one frame
    @torch.no_grad()
    def step(self, feats: Tuple[Tensor], size: Size,
             given: Optional[Mapping[int, Tensor]] = None) -> Propagated:
        """Segment the next frame from its encoder levels ``feats`` (batch of 1) at input size
        ``size`` (the padded batch shape), with the masks ``given`` at this frame by object id
        (the first-frame annotation, or a late object's first mask)."""
        given = dict(given or {})
        size = tuple(size)
        if self.head.protocol == 'original':
            out = self._step_original(feats, size, given)
        else:
            out = self._step(feats, size, given)
        self.frame_index += 1
        return out

    def _step(self, feats: Tuple[Tensor], size: Size, given: Dict[int, Tensor]) -> Propagated:
        device = feats[0].device
        entering = sorted(i for i in given if i not in self.ids) if self.one_shot else []
        if entering:
            masks = _stack(given, entering, size, device)
            self.prev = masks if self.prev is None else torch.cat([self.prev, masks], 1)
            self.ids = self.ids + entering
        num = len(self.ids) if self.one_shot else self.head.num_slots
        if num == 0:
            return Propagated([], feats[0].new_zeros((0, ) + size))
        out = self.head.frame(feats, self.temporal, self.prev, num)
        self.temporal = out.states
        probs = self.head.upsample(out.mask_logits, size).sigmoid()[0]
        if entering:
            probs[-len(entering):] = masks[0]
        if self.one_shot:
            self.prev = (probs > self.mask_thr).float()[None]
        ids = list(self.ids) if self.one_shot else list(range(1, num + 1))
        result = Propagated(ids, probs,
                            None if out.stop_logits is None else out.stop_logits[0].sigmoid(),
                            None if out.cls_logits is None else out.cls_logits[0].softmax(-1))
        if not self.one_shot and self.slot_assignment == 'first_frame':
            result = self._assigned(result, given)
        return result

    def _step_original(self, feats: Tuple[Tensor], size: Size,
                       given: Dict[int, Tensor]) -> Propagated:
        num = self.head.num_slots
        if self.one_shot:
            if self.prev is None:
                self.prev = feats[0].new_zeros((1, num) + size)
            entering = sorted(i for i in given if i not in self.ids)
            too_big = [i for i in entering if not 1 <= i <= num]
            if too_big:
                raise ValueError(f'object ids {too_big} do not fit the {num} steps of this '
                                 'model (maxseqlen)')
            if entering:
                self.prev = self.prev.clone()
                self.prev[:, [i - 1 for i in entering]] = _stack(given, entering, size,
                                                                 feats[0].device)
                self.ids = sorted(self.ids + entering)
        out = self.head.frame(feats, self.temporal, self.prev, num)
        self.temporal = out.states
        probs = self.head.upsample(out.mask_logits, size).sigmoid()[0]
        if self.one_shot and self.frame_index > 0:
            self.prev = probs[None]
        ids = list(self.ids) if self.one_shot else list(range(1, num + 1))
        slots = [i - 1 for i in ids]
        stop = None if out.stop_logits is None else out.stop_logits[0].sigmoid()[slots]
        cls = None if out.cls_logits is None else out.cls_logits[0].softmax(-1)[slots]
        result = Propagated(ids, probs[slots], stop, cls)
        if not self.one_shot and self.slot_assignment == 'first_frame':
            result = self._assigned(result, given)
        return result

    def _assigned(self, out: Propagated, given: Dict[int, Tensor]) -> Propagated:
        """Objects given at this frame and not yet assigned take free slots by a Hungarian
        assignment on IoU; the assigned slots are output under the objects' ids, in id order."""
        new = sorted(i for i in given if i not in self.slot_of)
        free = [s for s in range(len(out.ids)) if s not in self.slot_of.values()]
        if new and free:
            size = tuple(out.probs.shape[-2:])
            masks = _stack(given, new, size, out.probs.device)[0] > 0
            pred = out.probs[free] > self.mask_thr
            inter = (masks[:, None] & pred[None]).flatten(2).sum(-1).float()
            union = (masks[:, None] | pred[None]).flatten(2).sum(-1).float()
            iou = (inter / union.clamp(min=1)).cpu().numpy()
            for r, c in zip(*linear_sum_assignment(-iou)):
                self.slot_of[new[r]] = free[c]
        order = sorted(self.slot_of)
        slots = [self.slot_of[i] for i in order]
        return Propagated(order, out.probs[slots],
                          None if out.stop is None else out.stop[slots],
                          None if out.cls_probs is None else out.cls_probs[slots])

    # ------------------------------------------------------------------ outputs
    def instances(self, out: Propagated, meta: dict) -> InstanceData:
        """One frame -> ``InstanceData`` at ``meta['ori_shape']``: boolean ``masks`` with one
        object per pixel (the most likely one, where it is likely enough, as in DAVIS /
        YouTube-VOS label maps), ``instances_ids``, ``scores``, ``labels``. Slots the stop
        branch turned off hold no object."""
        h, w = meta['img_shape'][:2]
        oh, ow = meta['ori_shape'][:2]
        pred = InstanceData()
        if not out.ids:
            pred.masks = torch.zeros((0, oh, ow), dtype=torch.bool)
            pred.scores = torch.zeros(0)
            pred.labels = torch.zeros(0, dtype=torch.long)
        else:
            probs = out.probs[:, :h, :w]
            if (oh, ow) != (h, w):
                probs = torch.nn.functional.interpolate(probs[None], size=(oh, ow),
                                                        mode='bilinear', align_corners=False)[0]
            if out.stop is not None:
                probs = probs * (out.stop >= self.stop_thr)[:, None, None]
            best, winner = probs.max(0)
            slots = torch.arange(len(out.ids), device=probs.device)[:, None, None]
            pred.masks = (winner[None] == slots) & (best > self.mask_thr)
            pred.scores = out.stop if out.stop is not None else probs.flatten(1).amax(1)
            pred.labels = (out.cls_probs.argmax(-1) if out.cls_probs is not None
                           else torch.zeros(len(out.ids), dtype=torch.long,
                                            device=probs.device))
        pred.instances_ids = torch.tensor(out.ids, dtype=torch.long)
        return pred

    # ------------------------------------------------------------------ whole videos
    def run(self, frame_feats: Iterable[Tuple[Tensor]],
            frames: Iterable[DetDataSample]) -> Iterator[Propagated]:
        """A new video: :meth:`step` over paired encoder levels and frame samples (each with
        ``batch_input_shape`` in its metainfo and the masks given at it in ``gt_instances``)."""
        self.clear()
        for feats, sample in zip(frame_feats, frames):
            yield self.step(feats, sample.metainfo['batch_input_shape'], given_masks(sample))

    def predict_video(self, frame_feats: Iterable[Tuple[Tensor]],
                      video: TrackDataSample) -> TrackDataSample:
        """Adds ``pred_track_instances`` (:meth:`instances`) to every frame of ``video``. The
        frame where an object is given returns its given mask (semi-supervised protocol)."""
        frames = [video[t] for t in range(len(video))]
        for frame, out in zip(frames, self.run(frame_feats, frames)):
            frame.pred_track_instances = self.instances(out, frame.metainfo)
        return video
