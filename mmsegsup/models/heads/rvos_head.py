"""RVOS head: the RSIS decoder made recurrent in time as well as over objects (thesis 3.3)."""
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers.conv_lstm import State

LevelStates = List[State]
RECURRENCES = ('S', 'T', 'ST')


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
    are matched to slots once per clip (Hungarian on the sIoU of the whole clip volume), so
    identities stay fixed over time, and unmatched slots cost nothing.
    Losses: sIoU per object and frame (``smooth`` > 0 so that objects leaving the frame teach
    empty masks).

    Args:
        in_channels: encoder channels per level, finest first.
        decoder: recurrent decoder config (channels filled in; RVOS drops the finest level
            with ``use_levels=(1, 2, 3)``).
        recurrence: 'S', 'T' or 'ST'.
        one_shot: feed the previous mask of each object (else zero-shot).
        num_slots: object slots of the zero-shot mode (at most 20 for DAVIS unsupervised).
        matcher: slot-to-object matcher of the zero-shot mode (TASK_UTILS).
        loss_mask: mask loss config.
        test_cfg: ``mask_thr`` (0.5) binarises the masks passed to the next frame and output.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 decoder: ConfigType = dict(type='RecurrentMaskDecoder',
                                            hidden_channels=(128, 64, 32),
                                            use_levels=(1, 2, 3)),
                 recurrence: str = 'ST',
                 one_shot: bool = True,
                 num_slots: int = 10,
                 matcher: ConfigType = dict(type='HungarianMaskMatcher'),
                 loss_mask: ConfigType = dict(type='SoftIoULoss', smooth=1.0),
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if recurrence not in RECURRENCES:
            raise ValueError(f'recurrence must be one of {RECURRENCES}, got {recurrence!r}')
        self.recurrence = recurrence
        self.one_shot = one_shot
        self.decoder = MODELS.build(dict(decoder, in_channels=list(in_channels),
                                         extra_input_channels=int(one_shot),
                                         num_extra_hidden=int(recurrence == 'ST')))
        self.loss_mask = MODELS.build(loss_mask)
        self.num_slots = num_slots
        self.matcher = TASK_UTILS.build(matcher)
        self.test_cfg = dict(mask_thr=0.5)
        self.test_cfg.update(test_cfg or {})
        self.use_predicted_prev_mask = False

    # ------------------------------------------------------------------ recurrence
    def _object_step(self, proj: List[Tensor], spatial: Optional[LevelStates],
                     temporal: Optional[LevelStates], prev_mask: Optional[Tensor]
                     ) -> Tuple[Tensor, LevelStates]:
        if self.recurrence == 'S':
            state, extra = spatial, None
        elif self.recurrence == 'T':
            state, extra = temporal, None
        else:
            state = spatial
            extra = [[None if temporal is None else temporal[k][0]]
                     for k in range(len(proj))]
        mask, _, new_state = self.decoder.step(proj, state, extra_input=prev_mask,
                                               extra_hidden=extra)
        return mask[:, 0], new_state

    def frame(self, feats: Tuple[Tensor], temporal: Optional[List[LevelStates]],
              prev_masks: Optional[Tensor], num_objects: int
              ) -> Tuple[Tensor, List[LevelStates]]:
        """All objects of one frame: mask logits ``(B, N, h, w)`` and each object's states,
        which are the temporal states of the next frame. Memory does not grow with time."""
        proj = self.decoder.project(feats)
        spatial = None
        logits, states = [], []
        for i in range(num_objects):
            prev = None if prev_masks is None else prev_masks[:, i:i + 1]
            mask, spatial = self._object_step(proj, spatial,
                                              None if temporal is None else temporal[i], prev)
            logits.append(mask)
            states.append(spatial)
        return torch.stack(logits, 1), states

    # ------------------------------------------------------------------ training
    def forward(self, frame_feats: Sequence[Tuple[Tensor]], targets: Tensor) -> Tensor:
        """Clip logits ``(B, T, N, H, W)`` at the size of ``targets (B, T, N', H, W)``.

        One-shot (N = N'): the first frame's ground truth seeds the previous-mask input; later
        frames get the ground truth of the frame before, or the model's own (detached)
        prediction once the curriculum has switched ``use_predicted_prev_mask`` on.
        Zero-shot: N = ``num_slots`` and the targets only give the size.
        """
        size = targets.shape[-2:]
        num_objects = targets.shape[2] if self.one_shot else self.num_slots
        prev = targets[:, 0] if self.one_shot else None
        temporal, out = None, []
        for t, feats in enumerate(frame_feats):
            logits, temporal = self.frame(feats, temporal, prev, num_objects)
            logits = F.interpolate(logits, size=size, mode='bilinear', align_corners=False)
            out.append(logits)
            if self.one_shot:
                prev = (logits.detach().sigmoid() if self.use_predicted_prev_mask
                        else targets[:, t])
        return torch.stack(out, 1)

    def loss(self, frame_feats: Sequence[Tuple[Tensor]],
             data_samples: Sequence[TrackDataSample]) -> Dict[str, Tensor]:
        targets, valid = self._targets(data_samples, frame_feats[0][0].device,
                                       first_frame_only=self.one_shot)
        logits = self(frame_feats, targets)
        if self.one_shot:
            # Every (frame, object slot) of a real object counts, empty targets included.
            weight = valid[:, None, :].expand(-1, logits.shape[1], -1)
            pred, target = logits[weight], targets[weight]
        else:
            pred, target = self._match_slots(logits, targets, valid)
        count = reduce_mean(logits.new_tensor(float(len(pred)))).clamp(min=1).item()
        return dict(loss_mask=self.loss_mask(pred, target, avg_factor=count))

    def _match_slots(self, logits: Tensor, targets: Tensor,
                     valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Zero-shot: one assignment of slots to objects per clip, on whole-clip volumes.

        Returns the matched ``(K * T, H, W)`` logits and targets; unmatched slots are left out.
        """
        b, t, s, h, w = logits.shape
        volumes = logits.detach().sigmoid().permute(0, 2, 1, 3, 4).reshape(b, s, t * h, w)
        objects = [targets[i, :, :int(n)].permute(1, 0, 2, 3).reshape(int(n), t * h, w)
                   for i, n in enumerate(valid.sum(1))]
        matches = self.matcher.match(volumes, objects)
        preds, tgts = [], []
        for i, (slot_idx, obj_idx) in enumerate(matches):
            slot_idx, obj_idx = slot_idx.to(logits.device), obj_idx.to(logits.device)
            preds.append(logits[i][:, slot_idx].transpose(0, 1).reshape(-1, h, w))
            tgts.append(targets[i][:, obj_idx].transpose(0, 1).reshape(-1, h, w))
        return torch.cat(preds), torch.cat(tgts)

    @staticmethod
    def _targets(data_samples: Sequence[TrackDataSample], device: torch.device,
                 first_frame_only: bool = True) -> Tuple[Tensor, Tensor]:
        """Per clip, the objects of its first frame (or of any frame) in id order.

        Returns ``targets (B, T, N, H, W)`` (empty where an object is absent) and ``valid
        (B, N)`` marking real slots.
        """
        if first_frame_only:
            slot_ids = [s[0].gt_instances.instances_ids.tolist() for s in data_samples]
        else:
            slot_ids = [sorted({i for f in s for i in f.gt_instances.instances_ids.tolist()})
                        for s in data_samples]
        num = max([len(ids) for ids in slot_ids] + [1])
        h, w = data_samples[0][0].metainfo['batch_input_shape']
        num_frames = len(data_samples[0])
        targets = torch.zeros((len(data_samples), num_frames, num, h, w), device=device)
        valid = torch.zeros((len(data_samples), num), dtype=torch.bool, device=device)
        for b, (sample, ids) in enumerate(zip(data_samples, slot_ids)):
            valid[b, :len(ids)] = True
            for t in range(num_frames):
                gt = sample[t].gt_instances
                if len(gt) == 0:
                    continue
                masks = gt.masks.to_tensor(torch.float32, device)
                frame_ids = gt.instances_ids.tolist()
                for i, obj in enumerate(sorted(ids)):
                    if obj in frame_ids:
                        targets[b, t, i, :masks.shape[1], :masks.shape[2]] = \
                            masks[frame_ids.index(obj)]
        return targets, valid

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def propagate(self, frame_feats: Iterable[Tuple[Tensor]],
                  first: DetDataSample) -> Iterator[Tensor]:
        """Yield, frame by frame, the object probabilities ``(N, H_pad, W_pad)``: one-shot, of
        the objects annotated in ``first`` (sorted by id; the first frame yields its given
        masks); zero-shot, of the ``num_slots`` slots (``first`` only gives the sizes).

        Only the recurrent states and the previous masks are kept between frames, so a video
        of any length runs in constant memory when its frames are fed lazily.
        """
        ids = self.object_ids(first)
        size = first.metainfo['batch_input_shape']
        temporal, prev = None, None
        for t, feats in enumerate(frame_feats):
            if t == 0 and self.one_shot:
                prev = self._given_masks(first, ids, size, feats[0].device)
                probs = prev
            if ids:
                logits, temporal = self.frame(feats, temporal, prev, len(ids))
                if t > 0 or not self.one_shot:
                    probs = F.interpolate(logits, size=size, mode='bilinear',
                                          align_corners=False).sigmoid()
                    prev = (probs > self.test_cfg['mask_thr']).float()
            yield probs[0]

    def object_ids(self, first: DetDataSample) -> List[int]:
        """Ids of the tracked objects: the first frame's (one-shot) or the slots 1..N."""
        if self.one_shot:
            return sorted(first.gt_instances.instances_ids.tolist())
        return list(range(1, self.num_slots + 1))

    def predict_video(self, frame_feats: Iterable[Tuple[Tensor]],
                      video: TrackDataSample) -> TrackDataSample:
        """Propagate the first frame's objects through the whole video (:meth:`propagate`).

        Adds ``pred_track_instances`` (``masks`` bool at the original frame size, one object
        per pixel, ``instances_ids``, ``scores``, ``labels``) to every frame. The first frame
        returns its given masks, as in the semi-supervised protocol.
        """
        ids = self.object_ids(video[0])
        for t, probs in enumerate(self.propagate(frame_feats, video[0])):
            video[t].pred_track_instances = self.to_instances(probs, ids, video[t].metainfo)
        return video

    @staticmethod
    def _given_masks(sample, ids: List[int], size: Tuple[int, int],
                     device: torch.device) -> Tensor:
        out = torch.zeros((1, len(ids)) + tuple(size), device=device)
        gt = sample.gt_instances
        frame_ids = gt.instances_ids.tolist()
        if len(gt):
            masks = gt.masks.to_tensor(torch.float32, device)
            for i, obj in enumerate(ids):
                out[0, i, :masks.shape[1], :masks.shape[2]] = masks[frame_ids.index(obj)]
        return out

    def to_instances(self, probs: Tensor, ids: List[int], meta: dict) -> InstanceData:
        """Probabilities from :meth:`propagate` -> one frame's instances at ``ori_shape``."""
        h, w = meta['img_shape'][:2]
        oh, ow = meta['ori_shape'][:2]
        pred = InstanceData()
        if not ids:
            pred.masks = torch.zeros((0, oh, ow), dtype=torch.bool)
            pred.scores = torch.zeros(0)
        else:
            probs = probs[:, :h, :w]
            if (oh, ow) != (h, w):
                probs = F.interpolate(probs[None], size=(oh, ow), mode='bilinear',
                                      align_corners=False)[0]
            # One object per pixel, as in DAVIS / YouTube-VOS label maps: the most likely one,
            # where it is likely enough.
            best, winner = probs.max(0)
            fg = best > self.test_cfg['mask_thr']
            pred.masks = (winner[None] == torch.arange(len(ids), device=probs.device)[:, None,
                                                                                        None]) & fg
            pred.scores = probs.flatten(1).amax(1)
        pred.instances_ids = torch.tensor(ids, dtype=torch.long)
        pred.labels = torch.zeros(len(ids), dtype=torch.long)
        return pred
