"""RVOS head: the RSIS decoder made recurrent in time as well as over objects (thesis 3.3)."""
from typing import Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmsegsup.registry import MODELS, TASK_UTILS
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from ..layers.conv_lstm import State

LevelStates = List[State]
RECURRENCES = ('S', 'T', 'ST')
SLOT_ASSIGNMENTS = (None, 'first_frame')
PROTOCOLS = ('mmsegsup', 'original')
MATCH_FRAMES = ('clip', 'first')


class FrameOutput(NamedTuple):
    """All objects of one frame of a batch (:meth:`RVOSHead.frame`)."""
    mask_logits: Tensor  # (B, N, h, w) at the decoder's finest resolution
    cls_logits: Optional[Tensor]  # (B, N, C) with a class branch
    stop_logits: Optional[Tensor]  # (B, N) with a stop branch
    states: List[LevelStates]  # per object: its temporal state for the next frame


class Propagated(NamedTuple):
    """One frame of :meth:`RVOSHead.propagate` (a single video)."""
    ids: List[int]  # object ids (one-shot, assigned slots) or slot numbers 1..N (zero-shot)
    probs: Tensor  # (N, H_pad, W_pad) mask probabilities
    stop: Optional[Tensor] = None  # (N,) stop-branch probabilities
    cls_probs: Optional[Tensor] = None  # (N, C) class-branch probabilities


@MODELS.register_module()
class RVOSHead(BaseModule):
    """Segments N objects per frame; object ``i`` at frame ``t`` sees (eq. 3.1-3.3):

    - input ``[up(h_{t,i,k-1}) | proj(f_{t,k}) | S_{t-1,i}]`` (the last term in one-shot mode),
    - state ``h_{t,i-1,k}`` (spatial, from the previous object) and/or ``h_{t-1,i,k}``
      (temporal, the same object one frame earlier), chosen by ``recurrence`` = 'S', 'T', 'ST'.

    One-shot: the slots are the objects annotated in the clip's (video's) first frame, whose
    masks are given; the previous-frame mask of each object is an extra input channel (ground
    truth while ``use_predicted_prev_mask`` is False: the curriculum of RVOS-Mask-ST+ flips it).
    Zero-shot: ``num_slots`` slots and no mask input; the objects annotated anywhere in a clip
    are matched to slots once per clip (Hungarian on the sIoU of the whole clip volume, or of
    its first frame with ``match_frames='first'``), so identities stay fixed over time, and
    unmatched slots cost nothing.
    Losses: sIoU per object and frame (``smooth`` > 0 so that objects leaving the frame teach
    empty masks); with ``num_classes`` a class branch (cross-entropy on every frame of a real /
    matched object) and, zero-shot, with ``with_stop`` a stop branch (1 for slots matched to an
    object, 0 for the others), both on the pooled decoder features as in RSIS.

    Inference (:meth:`propagate`): one-shot, an object enters tracking at the first frame that
    gives its mask (frame 0 in DAVIS, its first appearance in YouTube-VOS). Zero-shot, the
    slots are the proposals (DAVIS unsupervised protocol), or with
    ``test_cfg.slot_assignment='first_frame'`` the thesis protocol: the masks given for the
    first frame pick, by a Hungarian assignment on IoU, which slot is which object, and that
    choice is kept for the whole video (late objects pick among the free slots when they
    appear).

    Args:
        in_channels: encoder channels per level, finest first.
        decoder: recurrent decoder config (channels filled in; RVOS drops the finest level
            with ``use_levels=(1, 2, 3)``).
        recurrence: 'S', 'T' or 'ST'.
        one_shot: feed the previous mask of each object (else zero-shot).
        num_slots: object slots of the zero-shot mode (at most 20 for DAVIS unsupervised).
        num_classes: adds a class branch when given.
        with_stop: adds a stop branch (zero-shot only: one-shot slots are all real objects).
        matcher: slot-to-object matcher of the zero-shot mode (TASK_UTILS).
        match_frames: zero-shot, what the matcher compares: ``'clip'`` the masks of all the
            clip's frames as one volume, or ``'first'`` the clip's first frame only, the
            permutation then kept for the clip, as imatge-upc/rvos trains (train.py:136-157).
        loss_mask / loss_cls / loss_stop: loss configs.
        test_cfg: ``mask_thr`` (0.5) binarises the masks passed to the next frame and output;
            ``stop_thr`` (0.5) empties slots whose stop probability is lower (stop branch);
            ``slot_assignment`` (None or 'first_frame') picks the zero-shot protocol.
        protocol: ``'mmsegsup'`` (above) or ``'original'``, the wiring and inference protocol of
            imatge-upc/rvos: every cell sees a temporal hidden map (zeros for RVOS-S, which
            never passes it on; RVOS-T resets the spatial state once a temporal one exists),
            object id ``i`` sits at step ``i - 1`` of all ``num_slots`` (``maxseqlen``) steps,
            the previous masks are the soft outputs (frame 1 still sees frame 0's ground
            truth), a late object's ground truth replaces its slot at its first frame, and the
            masks are upsampled with ``align_corners=True``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 decoder: ConfigType = dict(type='RecurrentMaskDecoder',
                                            hidden_channels=(128, 64, 32),
                                            use_levels=(1, 2, 3)),
                 recurrence: str = 'ST',
                 one_shot: bool = True,
                 num_slots: int = 10,
                 num_classes: Optional[int] = None,
                 with_stop: bool = False,
                 matcher: ConfigType = dict(type='HungarianMaskMatcher'),
                 match_frames: str = 'clip',
                 loss_mask: ConfigType = dict(type='SoftIoULoss', smooth=1.0),
                 loss_cls: ConfigType = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 loss_stop: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=1.0),
                 test_cfg: OptConfigType = None,
                 protocol: str = 'mmsegsup',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        self.protocol = protocol
        if recurrence not in RECURRENCES:
            raise ValueError(f'recurrence must be one of {RECURRENCES}, got {recurrence!r}')
        if with_stop and one_shot:
            raise ValueError('with_stop needs the zero-shot mode (one_shot=False): one-shot '
                             'slots are the given objects, so there is nothing to stop')
        self.recurrence = recurrence
        self.one_shot = one_shot
        self.decoder = MODELS.build(dict(decoder, in_channels=list(in_channels),
                                         extra_input_channels=int(one_shot),
                                         num_extra_hidden=int(recurrence == 'ST'
                                                              or protocol == 'original')))
        feat = self.decoder.pooled_channels
        self.fc_cls = nn.Linear(feat, num_classes) if num_classes else None
        self.fc_stop = nn.Linear(feat, 1) if with_stop else None
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_cls = MODELS.build(loss_cls) if num_classes else None
        self.loss_stop = MODELS.build(loss_stop) if with_stop else None
        self.num_slots = num_slots
        self.matcher = TASK_UTILS.build(matcher)
        if match_frames not in MATCH_FRAMES:
            raise ValueError(f'match_frames must be one of {MATCH_FRAMES}, got '
                             f'{match_frames!r}')
        self.match_frames = match_frames
        self.test_cfg = dict(mask_thr=0.5, stop_thr=0.5, slot_assignment=None)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['slot_assignment'] not in SLOT_ASSIGNMENTS:
            raise ValueError(f'test_cfg.slot_assignment must be one of {SLOT_ASSIGNMENTS}, '
                             f'got {self.test_cfg["slot_assignment"]!r}')
        self.use_predicted_prev_mask = False

    # ------------------------------------------------------------------ recurrence
    def _object_step(self, proj: List[Tensor], spatial: Optional[LevelStates],
                     temporal: Optional[LevelStates], prev_mask: Optional[Tensor]
                     ) -> Tuple[Tensor, Tensor, LevelStates]:
        if self.protocol == 'original':  # test.py: gates always see a temporal map
            state = None if self.recurrence == 'T' and temporal is not None else spatial
            extra = [[None if temporal is None or self.recurrence == 'S' else temporal[k][0]]
                     for k in range(len(proj))]
        elif self.recurrence == 'S':
            state, extra = spatial, None
        elif self.recurrence == 'T':
            state, extra = temporal, None
        else:
            state = spatial
            extra = [[None if temporal is None else temporal[k][0]]
                     for k in range(len(proj))]
        mask, pooled, new_state = self.decoder.step(proj, state, extra_input=prev_mask,
                                                    extra_hidden=extra)
        return mask[:, 0], pooled, new_state

    def frame(self, feats: Tuple[Tensor], temporal: Optional[Sequence[LevelStates]],
              prev_masks: Optional[Tensor], num_objects: int) -> FrameOutput:
        """All objects of one frame. ``temporal`` may be shorter than ``num_objects``: objects
        beyond it enter now, without a temporal state. Memory does not grow with time."""
        proj = self.decoder.project(feats)
        spatial = None
        logits, pooled, states = [], [], []
        for i in range(num_objects):
            prev = None if prev_masks is None else prev_masks[:, i:i + 1]
            past = temporal[i] if temporal is not None and i < len(temporal) else None
            mask, feat, spatial = self._object_step(proj, spatial, past, prev)
            logits.append(mask)
            pooled.append(feat)
            states.append(spatial)
        feats_ = torch.stack(pooled, 1)
        return FrameOutput(
            torch.stack(logits, 1),
            None if self.fc_cls is None else self.fc_cls(feats_),
            None if self.fc_stop is None else self.fc_stop(feats_)[..., 0], states)

    # ------------------------------------------------------------------ training
    def forward(self, frame_feats: Sequence[Tuple[Tensor]], targets: Tensor
                ) -> Dict[str, Tensor]:
        """Clip outputs: ``mask_logits (B, T, N, H, W)`` at the size of ``targets (B, T, N',
        H, W)``, plus ``cls_logits (B, T, N, C)`` / ``stop_logits (B, T, N)`` with branches.

        One-shot (N = N'): the first frame's ground truth seeds the previous-mask input; later
        frames get the ground truth of the frame before, or the model's own (detached)
        prediction once the curriculum has switched ``use_predicted_prev_mask`` on.
        Zero-shot: N = ``num_slots`` and the targets only give the size.
        """
        size = targets.shape[-2:]
        num_objects = targets.shape[2] if self.one_shot else self.num_slots
        prev = targets[:, 0] if self.one_shot else None
        temporal, masks, cls, stop = None, [], [], []
        for t, feats in enumerate(frame_feats):
            out = self.frame(feats, temporal, prev, num_objects)
            temporal = out.states
            logits = F.interpolate(out.mask_logits, size=size, mode='bilinear',
                                   align_corners=False)
            masks.append(logits)
            cls.append(out.cls_logits)
            stop.append(out.stop_logits)
            if self.one_shot:
                prev = (logits.detach().sigmoid() if self.use_predicted_prev_mask
                        else targets[:, t])
        result = dict(mask_logits=torch.stack(masks, 1))
        if self.fc_cls is not None:
            result['cls_logits'] = torch.stack(cls, 1)
        if self.fc_stop is not None:
            result['stop_logits'] = torch.stack(stop, 1)
        return result

    def loss(self, frame_feats: Sequence[Tuple[Tensor]],
             data_samples: Sequence[TrackDataSample]) -> Dict[str, Tensor]:
        targets, valid, labels = self._targets(data_samples, frame_feats[0][0].device,
                                               first_frame_only=self.one_shot)
        out = self(frame_feats, targets)
        logits = out['mask_logits']
        num_frames = logits.shape[1]
        if self.one_shot:
            # Every (frame, object slot) of a real object counts, empty targets included.
            batch_idx, slot_idx = valid.nonzero(as_tuple=True)
            obj_idx = slot_idx
        else:
            batch_idx, slot_idx, obj_idx = self._match_slots(logits, targets, valid)
        pred = logits[batch_idx, :, slot_idx].flatten(0, 1)  # (K * T, H, W)
        target = targets[batch_idx, :, obj_idx].flatten(0, 1)
        count = reduce_mean(logits.new_tensor(float(len(pred)))).clamp(min=1).item()
        losses = dict(loss_mask=self.loss_mask(pred, target, avg_factor=count))
        if self.fc_cls is not None:
            cls_target = labels[batch_idx, obj_idx].repeat_interleave(num_frames)
            losses['loss_cls'] = self.loss_cls(
                out['cls_logits'][batch_idx, :, slot_idx].flatten(0, 1), cls_target,
                avg_factor=count)
        if self.fc_stop is not None:
            stop_logits = out['stop_logits']  # (B, T, S)
            stop_target = torch.zeros_like(stop_logits)
            stop_target[batch_idx, :, slot_idx] = 1.0
            num = reduce_mean(logits.new_tensor(float(stop_logits.numel()))).item()
            losses['loss_stop'] = self.loss_stop(stop_logits.reshape(-1, 1),
                                                 stop_target.reshape(-1, 1), avg_factor=num)
        return losses

    def _match_slots(self, logits: Tensor, targets: Tensor,
                     valid: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Zero-shot: one assignment of slots to objects per clip, on whole-clip volumes
        (or on the first frame, ``match_frames='first'``).

        Returns ``(batch, slot, object)`` indices of the matched pairs; unmatched slots are
        left out.
        """
        if self.match_frames == 'first':
            logits, targets = logits[:, :1], targets[:, :1]
        b, t, s, h, w = logits.shape
        volumes = logits.detach().sigmoid().permute(0, 2, 1, 3, 4).reshape(b, s, t * h, w)
        objects = [targets[i, :, :int(n)].permute(1, 0, 2, 3).reshape(int(n), t * h, w)
                   for i, n in enumerate(valid.sum(1))]
        matches = self.matcher.match(volumes, objects)
        batch_idx = torch.cat([torch.full_like(p, i) for i, (p, _) in enumerate(matches)])
        slot_idx = torch.cat([p for p, _ in matches])
        obj_idx = torch.cat([o for _, o in matches])
        device = logits.device
        return batch_idx.to(device), slot_idx.to(device), obj_idx.to(device)

    @staticmethod
    def _targets(data_samples: Sequence[TrackDataSample], device: torch.device,
                 first_frame_only: bool = True) -> Tuple[Tensor, Tensor, Tensor]:
        """Per clip, the objects of its first frame (or of any frame) in id order.

        Returns ``targets (B, T, N, H, W)`` (empty where an object is absent), ``valid
        (B, N)`` marking real slots and ``labels (B, N)`` (the class of each object).
        """
        if first_frame_only:
            slot_ids = [sorted(s[0].gt_instances.instances_ids.tolist()) for s in data_samples]
        else:
            slot_ids = [sorted({i for f in s for i in f.gt_instances.instances_ids.tolist()})
                        for s in data_samples]
        num = max([len(ids) for ids in slot_ids] + [1])
        h, w = data_samples[0][0].metainfo['batch_input_shape']
        num_frames = len(data_samples[0])
        targets = torch.zeros((len(data_samples), num_frames, num, h, w), device=device)
        valid = torch.zeros((len(data_samples), num), dtype=torch.bool, device=device)
        labels = torch.zeros((len(data_samples), num), dtype=torch.long, device=device)
        for b, (sample, ids) in enumerate(zip(data_samples, slot_ids)):
            valid[b, :len(ids)] = True
            for t in range(num_frames):
                gt = sample[t].gt_instances
                if len(gt) == 0:
                    continue
                masks = gt.masks.to_tensor(torch.float32, device)
                frame_ids = gt.instances_ids.tolist()
                for i, obj in enumerate(ids):
                    if obj in frame_ids:
                        k = frame_ids.index(obj)
                        targets[b, t, i, :masks.shape[1], :masks.shape[2]] = masks[k]
                        labels[b, i] = gt.labels[k]
        return targets, valid, labels

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def propagate(self, frame_feats: Iterable[Tuple[Tensor]],
                  frames: Iterable[DetDataSample]) -> Iterator[Propagated]:
        """Yield, frame by frame, the objects of one video (:class:`Propagated`).

        ``frames`` gives, per frame, ``batch_input_shape`` in its metainfo and, in
        ``gt_instances``, the masks given at that frame (none is fine). One-shot: an object
        enters at the first frame that gives its mask, and that frame yields the given mask;
        later masks of a tracked object are ignored. Zero-shot: the ``num_slots`` slots, or the
        assigned ones with ids of the given objects under ``slot_assignment='first_frame'``.

        Only the recurrent states and the previous masks are kept between frames, so a video
        of any length runs in constant memory when its frames are fed lazily.
        """
        if self.protocol == 'original':
            yield from self._propagate_original(frame_feats, frames)
            return
        ids: List[int] = [] if self.one_shot else list(range(1, self.num_slots + 1))
        slot_of: Dict[int, int] = {}  # zero-shot thesis protocol: object id -> slot index
        temporal, prev = None, None
        for feats, sample in zip(frame_feats, frames):
            size = tuple(sample.metainfo['batch_input_shape'])
            entering: List[int] = []
            if self.one_shot:
                entering = [i for i in self._given_ids(sample) if i not in ids]
                if entering:
                    given = self._given_masks(sample, entering, size, feats[0].device)
                    prev = given if prev is None else torch.cat([prev, given], 1)
                    ids = ids + entering
            if not ids:
                yield Propagated([], feats[0].new_zeros((0, ) + size))
                continue
            out = self.frame(feats, temporal, prev, len(ids))
            temporal = out.states
            probs = F.interpolate(out.mask_logits, size=size, mode='bilinear',
                                  align_corners=False).sigmoid()[0]
            if entering:
                probs[-len(entering):] = given[0]
            if self.one_shot:
                prev = (probs > self.test_cfg['mask_thr']).float()[None]
            stop = None if out.stop_logits is None else out.stop_logits[0].sigmoid()
            cls = None if out.cls_logits is None else out.cls_logits[0].softmax(-1)
            result = Propagated(list(ids), probs, stop, cls)
            if not self.one_shot and self.test_cfg['slot_assignment'] == 'first_frame':
                result = self._assigned(result, sample, slot_of)
            yield result

    def _propagate_original(self, frame_feats: Iterable[Tuple[Tensor]],
                            frames: Iterable[DetDataSample]) -> Iterator[Propagated]:
        """imatge-upc/rvos's eval protocol (``protocol='original'``): all ``num_slots`` steps
        run, object ``i`` at step ``i - 1``; soft previous masks from frame 1 on."""
        known: List[int] = []
        temporal, prev = None, None
        for t, (feats, sample) in enumerate(zip(frame_feats, frames)):
            size = tuple(sample.metainfo['batch_input_shape'])
            if self.one_shot:
                if prev is None:
                    prev = feats[0].new_zeros((1, self.num_slots) + size)
                entering = [i for i in self._given_ids(sample) if i not in known]
                too_big = [i for i in entering if not 1 <= i <= self.num_slots]
                if too_big:
                    raise ValueError(f'object ids {too_big} do not fit the {self.num_slots} '
                                     'steps of this model (maxseqlen)')
                if entering:
                    prev = prev.clone()
                    prev[:, [i - 1 for i in entering]] = self._given_masks(
                        sample, entering, size, feats[0].device)
                    known = sorted(known + entering)
            out = self.frame(feats, temporal, prev, self.num_slots)
            temporal = out.states
            probs = F.interpolate(out.mask_logits, size=size, mode='bilinear',
                                  align_corners=True).sigmoid()[0]
            if self.one_shot and t > 0:
                prev = probs[None]
            ids = known if self.one_shot else list(range(1, self.num_slots + 1))
            slots = [i - 1 for i in ids]
            stop = None if out.stop_logits is None else out.stop_logits[0].sigmoid()[slots]
            cls = None if out.cls_logits is None else out.cls_logits[0].softmax(-1)[slots]
            yield Propagated(list(ids), probs[slots], stop, cls)

    def _assigned(self, out: Propagated, sample: DetDataSample,
                  slot_of: Dict[int, int]) -> Propagated:
        """Thesis zero-shot protocol: objects given at this frame and not yet assigned take
        free slots by a Hungarian assignment on IoU; the assigned slots are output under the
        objects' ids, in id order."""
        new = [i for i in self._given_ids(sample) if i not in slot_of]
        free = [s for s in range(len(out.ids)) if s not in slot_of.values()]
        if new and free:
            size = tuple(out.probs.shape[-2:])
            given = self._given_masks(sample, new, size, out.probs.device)[0] > 0
            pred = out.probs[free] > self.test_cfg['mask_thr']
            inter = (given[:, None] & pred[None]).flatten(2).sum(-1).float()
            union = (given[:, None] | pred[None]).flatten(2).sum(-1).float()
            iou = (inter / union.clamp(min=1)).cpu().numpy()
            rows, cols = linear_sum_assignment(-iou)
            for r, c in zip(rows, cols):
                slot_of[new[r]] = free[c]
        order = sorted(slot_of)
        slots = [slot_of[i] for i in order]
        return Propagated(order, out.probs[slots],
                          None if out.stop is None else out.stop[slots],
                          None if out.cls_probs is None else out.cls_probs[slots])

    @staticmethod
    def _given_ids(sample: DetDataSample) -> List[int]:
        if 'gt_instances' not in sample or len(sample.gt_instances) == 0:
            return []
        return sorted(sample.gt_instances.instances_ids.tolist())

    def predict_video(self, frame_feats: Iterable[Tuple[Tensor]],
                      video: TrackDataSample) -> TrackDataSample:
        """Propagate the video's objects through all its frames (:meth:`propagate`).

        Adds ``pred_track_instances`` (``masks`` bool at the original frame size, one object
        per pixel, ``instances_ids``, ``scores``, ``labels``) to every frame. The frame where
        an object is given returns its given mask, as in the semi-supervised protocol.
        """
        frames = [video[t] for t in range(len(video))]
        for frame, out in zip(frames, self.propagate(frame_feats, frames)):
            frame.pred_track_instances = self.to_instances(out, frame.metainfo)
        return video

    @staticmethod
    def _given_masks(sample: DetDataSample, ids: List[int], size: Tuple[int, int],
                     device: torch.device) -> Tensor:
        """``(1, len(ids), H, W)`` masks of ``ids`` given in ``sample`` (padded to ``size``)."""
        out = torch.zeros((1, len(ids)) + tuple(size), device=device)
        gt = sample.gt_instances
        frame_ids = gt.instances_ids.tolist()
        masks = gt.masks.to_tensor(torch.float32, device)
        for i, obj in enumerate(ids):
            out[0, i, :masks.shape[1], :masks.shape[2]] = masks[frame_ids.index(obj)]
        return out

    def to_instances(self, out: Propagated, meta: dict) -> InstanceData:
        """One frame of :meth:`propagate` -> instances at ``ori_shape``."""
        h, w = meta['img_shape'][:2]
        oh, ow = meta['ori_shape'][:2]
        ids = out.ids
        pred = InstanceData()
        if not ids:
            pred.masks = torch.zeros((0, oh, ow), dtype=torch.bool)
            pred.scores = torch.zeros(0)
            pred.labels = torch.zeros(0, dtype=torch.long)
        else:
            probs = out.probs[:, :h, :w]
            if (oh, ow) != (h, w):
                probs = F.interpolate(probs[None], size=(oh, ow), mode='bilinear',
                                      align_corners=False)[0]
            if out.stop is not None:  # slots the stop branch turned off hold no object
                probs = probs * (out.stop >= self.test_cfg['stop_thr'])[:, None, None]
            # One object per pixel, as in DAVIS / YouTube-VOS label maps: the most likely one,
            # where it is likely enough.
            best, winner = probs.max(0)
            fg = best > self.test_cfg['mask_thr']
            pred.masks = (winner[None] == torch.arange(len(ids), device=probs.device)[:, None,
                                                                                        None]) & fg
            pred.scores = out.stop if out.stop is not None else probs.flatten(1).amax(1)
            pred.labels = (out.cls_probs.argmax(-1) if out.cls_probs is not None
                           else torch.zeros(len(ids), dtype=torch.long, device=probs.device))
        pred.instances_ids = torch.tensor(ids, dtype=torch.long)
        return pred
