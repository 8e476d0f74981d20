"""The video object segmentation protocol of RVOS, apart from the network's per-frame maths.

As hkchengrex/Cutie's ``InferenceCore``: the core takes the model and one frame at a time
(:meth:`VOSInferenceCore.step`), encodes it, knows which objects exist and in which slot (a
:class:`~mmsegsup.models.task_modules.SlotLayout`), which masks were given when, what is carried
to the next frame, and how the probabilities become one object id per pixel; the head segments
the objects of one frame given their states and previous masks (:meth:`RVOSHead.frame`).
``RVOS.predict`` (``tools/test.py`` and the VOS metrics behind it), ``apis.inference_video`` (the
demo) and scripts all run videos through it.

The network calls are three, so another backend (an exported per-frame model) can provide them:
``model.extract_feat(image)``, ``model.head.frame(feats, temporal, prev, num)`` and
``model.head.upsample(logits, size)``.
"""
from typing import Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from ..task_modules.slot_layout import SlotLayout, given_masks

Size = Tuple[int, int]


class Propagated(NamedTuple):
    """One frame of one video (:meth:`VOSInferenceCore.step`)."""
    ids: List[int]  # object ids (one-shot, assigned slots) or slot numbers 1..N (zero-shot)
    probs: Tensor  # (N, H_pad, W_pad) mask probabilities
    stop: Optional[Tensor] = None  # (N,) stop-branch probabilities
    cls_probs: Optional[Tensor] = None  # (N, C) class-branch probabilities


def id_map(masks: np.ndarray, ids: Sequence[int], shape: Size) -> np.ndarray:
    """uint8 ``(H, W)`` label map (0 = background) of disjoint boolean ``masks`` of ``ids``:
    the DAVIS / YouTube-VOS results format."""
    out = np.zeros(shape, np.uint8)
    for mask, obj in zip(masks, ids):
        out[mask] = obj
    return out


class VOSInferenceCore:
    """Runs one video at a time through an RVOS-like model (``extract_feat()`` and a head with
    ``frame()``).

    The protocol follows ``head.protocol`` (the slots: :meth:`SlotLayout.for_video`):

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
      One-shot, when the video's object ids are known in advance (``object_ids`` of
      :meth:`clear` / :meth:`run`: a dataset video, a demo's first mask), only the steps up to
      the highest id run: a step never influences the steps before it (the spatial recurrence
      runs forward), so the objects' probabilities are the original's, at a fraction of the
      cost. Unknown ids run all steps, as a later object needs its step's history.

    Only the recurrent states and the previous masks are kept between frames, so a video of any
    length runs in constant memory. Thresholds default to the head's ``test_cfg``.
    """

    def __init__(self, model, mask_thr: Optional[float] = None,
                 stop_thr: Optional[float] = None,
                 slot_assignment: Optional[str] = None) -> None:
        head = getattr(model, 'head', None)
        if not (callable(getattr(head, 'frame', None))
                and callable(getattr(model, 'extract_feat', None))):
            raise TypeError(f'{type(model).__name__} is not a video object segmentation model '
                            '(expected an RVOS-like model: extract_feat() and a head with '
                            'frame())')
        self.model, self.head = model, head
        cfg = head.test_cfg
        self.mask_thr = cfg['mask_thr'] if mask_thr is None else mask_thr
        self.stop_thr = cfg['stop_thr'] if stop_thr is None else stop_thr
        self.slot_assignment = (cfg['slot_assignment'] if slot_assignment is None
                                else slot_assignment)
        self.clear()

    @property
    def one_shot(self) -> bool:
        return self.head.one_shot

    def clear(self, object_ids: Optional[Iterable[int]] = None) -> None:
        """Forget the video: the next :meth:`step` is a first frame. ``object_ids``: every id
        the video will give, when known in advance (lets ``'original'`` one-shot stop after
        the highest one's step; another id then entering is refused)."""
        self.frame_index = 0
        self.layout = SlotLayout.for_video(self.head.protocol, self.one_shot,
                                           self.head.num_slots, self.slot_assignment)
        self.num_run = self._slots_to_run(object_ids)
        self.temporal = None
        self.prev: Optional[Tensor] = None  # (1, S, H, W) previous masks (one-shot)

    def _slots_to_run(self, object_ids: Optional[Iterable[int]]) -> Optional[int]:
        """The steps to run per frame when fewer than all give the same outputs (one-shot
        ``'by_id'`` with known ids: up to the highest id that fits); None: the layout's."""
        if object_ids is None or not self.one_shot or self.layout.mode != 'by_id':
            return None
        fitting = [int(i) for i in object_ids if self.layout.fits(int(i))]
        return max(fitting, default=0)

    @property
    def num_running(self) -> int:
        """Slots the head runs per frame in this video."""
        return self.layout.num_slots if self.num_run is None else self.num_run

    # ------------------------------------------------------------------ one frame
    @torch.no_grad()
    def step(self, image: Tensor, given: Optional[Mapping[int, Tensor]] = None) -> Propagated:
        """Segment the next frame: ``image`` ``(1, C, H, W)`` preprocessed as the model's
        ``data_preprocessor`` does (padded size included), with the masks ``given`` at this
        frame by object id (the first-frame annotation, or a late object's first mask)."""
        given = dict(given or {})
        size = tuple(image.shape[-2:])
        entering = self._enter(given, size, image.device)
        if self.num_running == 0:
            out = Propagated([], image.new_zeros((0, ) + size))
        else:
            out = self._segment(self.model.extract_feat(image), size, entering, given)
        self.frame_index += 1
        return out

    def _enter(self, given: Dict[int, Tensor], size: Size,
               device: torch.device) -> Dict[int, Tensor]:
        """One-shot: objects given now and not yet tracked take slots, and their given masks
        replace their slots' previous masks; returns their masks."""
        if not self.one_shot:
            return {}
        entering = {i: given[i] for i in self.layout.enter(given)}
        num = self.num_running
        unknown = [i for i in entering if self.layout.slot(i) >= num]
        if unknown:
            raise ValueError(f'object ids {unknown} were not among the object_ids announced '
                             'for this video (clear() / run()): their steps did not run')
        if self.prev is None or self.prev.shape[1] < num:
            grown = torch.zeros((1, num) + size, device=device)
            if self.prev is not None:
                grown[:, :self.prev.shape[1]] = self.prev
            self.prev = grown
        elif entering:
            self.prev = self.prev.clone()
        self.layout.write(entering, self.prev[0])
        return entering

    def _segment(self, feats: Tuple[Tensor], size: Size, entering: Dict[int, Tensor],
                 given: Dict[int, Tensor]) -> Propagated:
        """Runs the head on all slots, keeps what the next frame needs, lists the objects."""
        out = self.head.frame(feats, self.temporal, self.prev, self.num_running)
        self.temporal = out.states
        probs = self.head.upsample(out.mask_logits, size).sigmoid()[0]
        if self.one_shot:
            self._pass_on(probs, entering)
        if self.layout.mode == 'assigned':
            self.layout.assign(given, probs > self.mask_thr)
        slots = self.layout.slots
        return Propagated(self.layout.ids, probs[slots],
                          None if out.stop_logits is None else out.stop_logits[0].sigmoid()[slots],
                          None if out.cls_logits is None
                          else out.cls_logits[0].softmax(-1)[slots])

    def _pass_on(self, probs: Tensor, entering: Dict[int, Tensor]) -> None:
        """The previous masks of the next frame. ``'mmsegsup'``: the entering objects' given
        masks are this frame's output, all binarised; ``'original'``: the soft outputs, from
        frame 1 on (frame 1 still sees frame 0's given masks)."""
        if self.head.protocol == 'original':
            if self.frame_index > 0:
                self.prev = probs[None]
            return
        self.layout.write(entering, probs)
        self.prev = (probs > self.mask_thr).float()[None]

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
    def run(self, images: Iterable[Tensor], frames: Iterable[DetDataSample],
            object_ids: Optional[Iterable[int]] = None) -> Iterator[Propagated]:
        """A new video: :meth:`step` over paired preprocessed images ``(1, C, H, W)`` and frame
        samples (the masks given at each in its ``gt_instances``); ``object_ids`` as
        :meth:`clear`."""
        self.clear(object_ids)
        for image, sample in zip(images, frames):
            yield self.step(image, given_masks(sample))

    def predict_video(self, images: Iterable[Tensor], video: TrackDataSample) -> TrackDataSample:
        """Adds ``pred_track_instances`` (:meth:`instances`) to every frame of ``video``. The
        frame where an object is given returns its given mask (semi-supervised protocol)."""
        frames = [video[t] for t in range(len(video))]
        ids = {int(i) for frame in frames if 'gt_instances' in frame
               for i in frame.gt_instances.instances_ids.tolist()}
        for frame, out in zip(frames, self.run(images, frames, ids)):
            frame.pred_track_instances = self.instances(out, frame.metainfo)
        return video
