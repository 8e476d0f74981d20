"""RVOS head: the RSIS decoder made recurrent in time as well as over objects (thesis 3.3)."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmsegsup.registry import MODELS, TASK_UTILS
from mmdet.structures import TrackDataSample
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers.conv_lstm import State
from ..task_modules.slot_layout import SlotLayout, SlotTargets, slot_targets

LevelStates = List[State]
RECURRENCES = ('S', 'T', 'ST')
SLOT_ASSIGNMENTS = (None, 'first_frame')
PROTOCOLS = ('mmsegsup', 'original')
MATCH_FRAMES = ('clip', 'first')
TRAIN_VALID = ('video', 'frame')
# train.py:146-149: the cost of a (row, slot) pair where either is padding (sw_mask off)
PADDING_COST = 10.0


class FrameOutput(NamedTuple):
    """All objects of one frame of a batch (:meth:`RVOSHead.frame`)."""
    mask_logits: Tensor  # (B, N, h, w) at the decoder's finest resolution
    cls_logits: Optional[Tensor]  # (B, N, C) with a class branch
    stop_logits: Optional[Tensor]  # (B, N) with a stop branch
    states: List[LevelStates]  # per object: its temporal state for the next frame


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

    Slots: which object is trained or tracked in which slot is a
    :class:`~mmsegsup.models.task_modules.SlotLayout` (:meth:`get_targets` for training, the
    same object at inference). Inference: the video protocol (given masks, late objects, what
    is passed to the next frame) is :class:`~mmsegsup.models.vos.VOSInferenceCore`, which calls
    :meth:`frame` and :meth:`upsample` once per frame.

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
            masks are upsampled with ``align_corners=True``. One-shot training then follows
            train_previous_mask.py too: the same slot layout, all steps, the ground truth of
            every slot (zeros for absent ids) as the first frame's previous mask, and the sIoU
            averaged over the valid slots of each frame, summed over the clip's frames
            (:meth:`_loss_by_id`).
        train_valid: with ``protocol='original'``, which slots count in a frame's
            loss (the original's ``sw_mask``): ``'video'`` every object of the video, at every
            frame (YouTube-VOS, ids of its meta.json: the frames' ``video_object_ids``
            metainfo, dataset.py:222-229) or ``'frame'`` the objects present in that frame
            (DAVIS-2017, the ids of its annotation, dataset.py:234-237).
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
                 train_valid: str = 'video',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        self.protocol = protocol
        if train_valid not in TRAIN_VALID:
            raise ValueError(f'train_valid must be one of {TRAIN_VALID}, got {train_valid!r}')
        self.train_valid = train_valid
        if protocol == 'original' and (num_classes or with_stop):
            raise ValueError('protocol=original: the original RVOS has no class or stop '
                             'branch (num_classes must be None, with_stop False)')
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
            logits = self.upsample(out.mask_logits, size)
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
        slotted = self.get_targets(data_samples, frame_feats[0][0].device)
        if self.protocol == 'original':
            return self._loss_by_id(frame_feats, slotted.masks,
                                    self.sw_mask(data_samples, slotted))
        targets, valid, labels = slotted
        out = self(frame_feats, targets)
        logits = out['mask_logits']
        num_frames = logits.shape[1]
        if self.one_shot:
            # Every (frame, object slot) of a real object counts, empty targets included.
            batch_idx, slot_idx = valid.nonzero(as_tuple=True)
            obj_idx = slot_idx
        else:
            batch_idx, slot_idx, obj_idx = self.match_slots(logits, targets, valid)
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

    def _loss_by_id(self, frame_feats: Sequence[Tuple[Tensor]], targets: Tensor,
                    valid: Tensor) -> Dict[str, Tensor]:
        """imatge-upc/rvos training: per frame, the sIoU mean over the valid (clip, slot) pairs
        (all pairs when none is valid, objectives.py:29-36), summed over the frames
        (train_previous_mask.py:96-147, train.py:68-175).

        Zero-shot, the ground truth is first permuted per clip as train.py permutes it
        (:meth:`_permuted_by_first_frame`).
        """
        logits = self(frame_feats, targets)['mask_logits']  # (B, T, S, H, W)
        if not self.one_shot:
            targets = self._permuted_by_first_frame(logits, targets, valid)
        total = logits.new_zeros(())
        for t in range(logits.shape[1]):
            keep = valid[:, t] if valid[:, t].any() else torch.ones_like(valid[:, t])
            pred, target = logits[:, t][keep], targets[:, t][keep]
            total = total + self.loss_mask(pred, target, avg_factor=len(pred))
        return dict(loss_mask=total)

    def _permuted_by_first_frame(self, logits: Tensor, targets: Tensor,
                                 valid: Tensor) -> Tensor:
        """``targets`` with their slots permuted per clip as train.py:136-157 permutes them.

        On the clip's first frame every (ground-truth row, slot) pair costs its sIoU cost if
        both the row and the slot are valid there, :data:`PADDING_COST` otherwise; one
        assignment of all rows to all slots (the matcher's solver: ``'munkres'`` breaks the
        ties among padding pairs as the original) gives slot ``j`` the row matched to it, for
        every frame of the clip (reorder_mask). The validity (``sw_mask``) is not permuted.
        """
        out = torch.empty_like(targets)
        probs = logits[:, 0].detach().sigmoid()
        for b in range(len(targets)):
            cost = self.matcher.cost(InstanceData(masks=probs[b]),
                                     InstanceData(masks=targets[b, 0]))  # (slots, rows)
            both = valid[b, 0][:, None] & valid[b, 0][None, :]
            cost = torch.where(both, cost, cost.new_tensor(PADDING_COST))
            rows, cols = self.matcher.solve(cost.T.cpu().numpy())
            row_of_slot = torch.empty(len(cols), dtype=torch.long)
            row_of_slot[torch.as_tensor(cols)] = torch.as_tensor(rows)
            out[b] = targets[b][:, row_of_slot.to(targets.device)]
        return out

    def get_targets(self, data_samples: Sequence[TrackDataSample],
                    device: torch.device) -> SlotTargets:
        """Each clip's ground truth in the slots of :meth:`SlotLayout.for_clip`: the objects
        of its first frame (one-shot) or of any frame (zero-shot) in id order, or with
        ``protocol='original'`` object id ``i`` at slot ``i - 1`` of ``num_slots``."""
        layouts = [SlotLayout.for_clip(clip, self.protocol, self.one_shot, self.num_slots)
                   for clip in data_samples]
        return slot_targets(data_samples, layouts, device)

    def sw_mask(self, data_samples: Sequence[TrackDataSample],
                targets: SlotTargets) -> Tensor:
        """``protocol='original'``: the ``(B, T, S)`` slots that count in each frame's loss
        (:attr:`train_valid`: the video's objects, or those present in the frame)."""
        if self.train_valid == 'frame':
            return targets.present
        valid = torch.zeros(targets.masks.shape[:3], dtype=torch.bool,
                            device=targets.masks.device)
        for b, clip in enumerate(data_samples):
            ids = clip[0].metainfo.get('video_object_ids')
            if ids is None:
                raise KeyError('RVOSHead(protocol=original, train_valid=video) needs the '
                               'video_object_ids of each frame in its metainfo (the '
                               'YouTube-VOS datasets give it; pack it with '
                               "PackTrackInputs(meta_keys=('video_object_ids', ...)))")
            layout = SlotLayout('by_id', self.num_slots)
            layout.enter(ids, drop_unfit=True)
            valid[b, :, layout.slots] = True
        return valid

    def match_slots(self, logits: Tensor, targets: Tensor,
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

    # ------------------------------------------------------------------ inference
    def upsample(self, mask_logits: Tensor, size: Tuple[int, int]) -> Tensor:
        """Mask logits at the input size, bilinear (``align_corners=True`` with the original
        protocol, as imatge-upc/rvos's ``UpsamplingBilinear2d``)."""
        return F.interpolate(mask_logits, size=size, mode='bilinear',
                             align_corners=self.protocol == 'original')
