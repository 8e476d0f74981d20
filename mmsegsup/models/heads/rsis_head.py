"""RSIS head: recurrent mask decoder + class / box / stop branches and an optional IoU branch,
matched sIoU losses, on mmdet's head contract (``loss_by_feat`` / ``get_targets`` /
``predict_by_feat`` / ``_predict_by_feat_single``; ``predict_by_probs`` for the part after
the step probabilities)."""
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmsegsup.registry import MODELS, TASK_UTILS
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.utils import (ConfigType, InstanceList, OptConfigType, OptMultiConfig,
                         reduce_mean)
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from ..task_modules.weak_label_filter import WeakLabelFilter
from .iou_branch import mask_iou
from .rsis_rules import ImageSteps, first_stop_instances, original_instances

Outs = Dict[str, Tensor]


class MatchedTargets(NamedTuple):
    """The matched (image, step) pairs of a batch and their targets (:meth:`get_targets`)."""
    batch_idx: Tensor  # (K,) image of each pair
    step_idx: Tensor  # (K,) recurrent step of each pair
    masks: Tensor  # (K, H_pad, W_pad) ground-truth masks
    labels: Tensor  # (K,) ground-truth classes
    boxes: Tensor  # (K, 4) cx, cy, w, h in [0, 1] of each image's img_shape
    num_pos: float  # K averaged over the processes, at least 1


@MODELS.register_module()
class RSISHead(BaseModule):
    """Segments one object per recurrent step (thesis sec. 3.3.1).

    Training matches the first ``G`` steps of an image with ``G`` objects one-to-one to its
    objects by the Hungarian matcher on the sIoU cost (the model picks its own order); matched
    steps get the sIoU, class and box losses; the stop branch learns 1 for those steps and 0
    for step ``G``. Inference (:mod:`.rsis_rules`): ``test_cfg.rule`` ``'first_stop'`` (the
    default: steps until the stop score drops below ``stop_thr``; no NMS) or ``'original'``
    (imatge-upc/rsis eval.py). ``test_cfg.weak_filter`` post-processes the predictions with
    the image's weak labels (:class:`~mmsegsup.models.task_modules.WeakLabelFilter`: RSIS + IL,
    RSIS + IL + C). :class:`WRSISHead` is the class-token conditioned variant.

    Args:
        num_classes: number of object classes.
        in_channels: encoder channels per level, finest first.
        decoder: config of the recurrent decoder (``in_channels`` is filled in).
        max_steps: most objects per image (recurrent steps).
        matcher: config of the mask matcher (TASK_UTILS).
        loss_mask / loss_cls / loss_bbox / loss_stop: loss configs.
        iou_branch: config of a :class:`MaskIoUBranch` (IoU-W-RSIS, thesis 5.3): every step
            also predicts the IoU of its mask, returned as ``ious`` of the instances.
        encoder_dropout: dropout probability on the encoder features before the decoder (the
            MC-dropout baseline of thesis 5.4.2 uses 0.5); active in training mode only, or at
            test time through :func:`mmsegsup.active_learning.enable_mc_dropout`.
        with_bbox: a box branch (``fc_bbox``, MSE loss). Without it (the original RSIS) the
            boxes of the predictions are those of their masks.
        align_corners: resize the mask logits to the input and the probabilities to the
            original image with ``align_corners=True`` (the original's ``UpsamplingBilinear2d``
            and ``scipy.ndimage.zoom(order=1)``) instead of False.
        eos_class: class 0 of ``num_classes`` is the original's ``<eos>`` (never a target):
            object label ``k`` trains as class ``k + 1`` (imatge-upc/rsis: 21 classes for the 20
            of VOC, dataloader/pascal.py) and is predicted from classes ``1..C-1``. The
            ``'original'`` rule needs it.
        train_cfg / test_cfg: ``test_cfg`` keys ``rule`` ('first_stop' or 'original'),
            ``stop_thr`` (0.5), ``mask_thr`` (0.5), ``score`` ('cls_stop': class probability x
            stop probability, or 'cls'; 'first_stop' only), ``min_size`` (0.001 of the
            image area; 'original' only) and ``weak_filter`` (None, 'labels' or
            'labels+counts').
    """

    RULES = ('first_stop', 'original')

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 decoder: ConfigType = dict(type='RecurrentMaskDecoder',
                                            hidden_channels=(128, 128, 64, 32)),
                 max_steps: int = 10,
                 matcher: ConfigType = dict(type='HungarianMaskMatcher'),
                 loss_mask: ConfigType = dict(type='SoftIoULoss', loss_weight=1.0),
                 loss_cls: ConfigType = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 loss_bbox: ConfigType = dict(type='MSELoss', loss_weight=1.0),
                 loss_stop: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                              loss_weight=1.0),
                 iou_branch: OptConfigType = None,
                 encoder_dropout: float = 0.0,
                 with_bbox: bool = True,
                 align_corners: bool = False,
                 eos_class: bool = False,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.in_channels = list(in_channels)
        self.max_steps = max_steps
        self.eos_class = eos_class
        self.with_bbox = with_bbox
        self.align_corners = align_corners
        self.test_cfg = dict(rule='first_stop', stop_thr=0.5, mask_thr=0.5, score='cls_stop',
                             min_size=0.001, weak_filter=None)
        self.test_cfg.update(test_cfg or {})
        self.train_cfg = train_cfg or {}
        self._check_test_cfg()
        self._init_layers(decoder, dict(cls=loss_cls, bbox=loss_bbox, stop=loss_stop))
        self.matcher = TASK_UTILS.build(matcher)
        self.loss_mask = MODELS.build(loss_mask)
        self.iou_branch = None
        if iou_branch is not None:
            modes = iou_branch.get('pooling', ('avg', ))
            self.iou_branch = MODELS.build(dict(
                iou_branch, type=iou_branch.get('type', 'MaskIoUBranch'),
                in_channels=self.decoder.pooled_channels_of(modes)))
        # Set by FreezeSegmentationHook: only the IoU branch trains from then on.
        self.iou_only = False
        if not 0.0 <= encoder_dropout < 1.0:
            raise ValueError(f'encoder_dropout must be in [0, 1), got {encoder_dropout}')
        self.encoder_dropout = nn.Dropout(encoder_dropout) if encoder_dropout > 0 else None
        self.weak_filter = None
        if self.test_cfg['weak_filter'] is not None:
            self.weak_filter = WeakLabelFilter(self.test_cfg['weak_filter'],
                                               num_classes - int(eos_class), int(eos_class))

    def _check_test_cfg(self) -> None:
        rule = self.test_cfg['rule']
        if rule not in self.RULES:
            raise ValueError(f'test_cfg.rule must be one of {self.RULES}, got {rule!r}')
        if rule == 'original' and not self.eos_class:
            raise ValueError("test_cfg.rule='original' reads class 0 as the original's <eos>: "
                             'set eos_class=True (and num_classes = object classes + 1)')

    def _init_layers(self, decoder: ConfigType, branch_losses: Dict[str, ConfigType]) -> None:
        """The decoder, then the class, box and stop layers on its pooled step features (in
        this order: seeded runs draw the same initial weights) and their losses."""
        self.decoder = MODELS.build(dict(decoder, in_channels=self.in_channels))
        feat = self.decoder.pooled_channels
        self.fc_cls = nn.Linear(feat, self.num_classes)
        self.fc_bbox = nn.Linear(feat, 4) if self.with_bbox else None
        self.fc_stop = nn.Linear(feat, 1)
        self.loss_cls = MODELS.build(branch_losses['cls'])
        self.loss_bbox = MODELS.build(branch_losses['bbox']) if self.with_bbox else None
        self.loss_stop = MODELS.build(branch_losses['stop'])

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tuple[Tensor], num_steps: Optional[int] = None) -> Outs:
        """Run ``num_steps`` recurrent steps (default ``max_steps``).

        Returns ``mask_logits (B, T, h, w)`` at the decoder's finest resolution,
        ``cls_logits (B, T, C)``, ``stop_logits (B, T)``, with the box branch ``bbox_pred (B,
        T, 4)`` (cx, cy, w, h in [0, 1] of each image's ``img_shape``) and with the IoU branch
        ``iou_pred (B, T)`` (transformed).
        """
        return self.decode(x, num_steps or self.max_steps)

    def decode(self, x: Tuple[Tensor], num_steps: int,
               extra: Optional[Tensor] = None) -> Outs:
        """The recurrent loop, ``extra (B, T, C, h, w)`` the decoder's extra input per step."""
        proj = self._project(x)
        state = None
        masks, pooled, iou_feats = [], [], []
        for t in range(num_steps):
            mask, feat, state = self.decoder.step(
                proj, state, extra_input=None if extra is None else extra[:, t])
            masks.append(mask[:, 0])
            pooled.append(feat)
            if self.iou_branch is not None:
                iou_feats.append(self.decoder.pool(proj, state, mask, self.iou_branch.pooling))
        out = dict(mask_logits=torch.stack(masks, 1))
        feats = torch.stack(pooled, 1)
        if self.fc_cls is not None:
            out['cls_logits'] = self.fc_cls(feats)
        if self.fc_stop is not None:
            out['stop_logits'] = self.fc_stop(feats)[..., 0]
        if self.fc_bbox is not None:
            out['bbox_pred'] = self.fc_bbox(feats).sigmoid()
        if self.iou_branch is not None:
            out['iou_pred'] = self.iou_branch(torch.stack(iou_feats, 1))
        return out

    def _project(self, x: Tuple[Tensor]) -> List[Tensor]:
        """Encoder levels (through the MC-dropout layer if any) projected for the decoder."""
        if self.encoder_dropout is not None:
            x = [self.encoder_dropout(f) for f in x]
        return self.decoder.project(x)

    def to_padded(self, mask_logits: Tensor, batch_img_metas: Sequence[dict]) -> Tensor:
        """Decoder mask logits ``(B, T, h, w)`` resized to the padded batch input."""
        size = tuple(batch_img_metas[0]['batch_input_shape'])
        return F.interpolate(mask_logits, size=size, mode='bilinear',
                             align_corners=self.align_corners)

    # ------------------------------------------------------------------ training
    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """One step per object and one more (the stop target 0), at most ``max_steps``."""
        gts, _, metas = unpack_gt_instances(batch_data_samples)
        num_steps = min(self.max_steps, max(len(g) for g in gts) + 1)
        return self.loss_by_feat(self(x, num_steps), gts, metas)

    def loss_by_feat(self, outs: Outs, batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     tokens: Optional[List[Tensor]] = None) -> Dict[str, Tensor]:
        """The losses of the head's branches on the matched steps (``tokens``: the class token
        of each step, W-RSIS)."""
        mask_logits = self.to_padded(outs['mask_logits'], batch_img_metas)
        tgt = self.get_targets(mask_logits, batch_gt_instances, batch_img_metas, tokens)
        matched = (tgt.batch_idx, tgt.step_idx)
        losses = dict(loss_mask=self.loss_mask(mask_logits[matched], tgt.masks,
                                               avg_factor=tgt.num_pos))
        if self.fc_cls is not None:
            losses['loss_cls'] = self.loss_cls(outs['cls_logits'][matched],
                                               tgt.labels + int(self.eos_class),
                                               avg_factor=tgt.num_pos)
        if self.fc_bbox is not None:
            losses['loss_bbox'] = self.loss_bbox(outs['bbox_pred'][matched], tgt.boxes,
                                                 avg_factor=tgt.num_pos * 4)
        if self.fc_stop is not None:
            losses['loss_stop'] = self._stop_loss(outs['stop_logits'], batch_gt_instances)
        if self.iou_branch is not None:
            losses.update(self._iou_loss(outs['iou_pred'][matched], mask_logits[matched],
                                         tgt))
        return self._only_iou(losses)

    def get_targets(self, mask_logits: Tensor, batch_gt_instances: InstanceList,
                    batch_img_metas: List[dict],
                    tokens: Optional[List[Tensor]] = None) -> MatchedTargets:
        """Match each image's steps to its objects (the first ``min(G, T)`` steps, or one step
        per token) on the padded ``mask_logits (B, T, H, W)``; gather the matched targets."""
        device = mask_logits.device
        num_steps = mask_logits.shape[1]
        gt_masks = [self._gt_masks(g, mask_logits.shape[-2:], device)
                    for g in batch_gt_instances]
        num_preds = ([len(t) for t in tokens] if tokens is not None else
                     [min(len(g), num_steps) for g in batch_gt_instances])
        matches = self.matcher.match(mask_logits.detach().sigmoid(), gt_masks,
                                     num_preds=num_preds, pred_labels=tokens,
                                     gt_labels=[g.labels for g in batch_gt_instances])
        batch_idx = torch.cat([torch.full_like(p, b) for b, (p, _) in enumerate(matches)])
        step_idx = torch.cat([p for p, _ in matches])
        gt_idx = [g.to(device) for _, g in matches]
        boxes = [bbox_xyxy_to_cxcywh(self._boxes(gt, device)[g]) /
                 self._box_scale(meta, mask_logits)
                 for gt, meta, g in zip(batch_gt_instances, batch_img_metas, gt_idx)]
        # Normalise by the global count so that DDP averages to the single-process loss.
        num_pos = reduce_mean(mask_logits.new_tensor(float(len(step_idx)))).clamp(min=1).item()
        return MatchedTargets(
            batch_idx.to(device), step_idx.to(device),
            torch.cat([m[g] for m, g in zip(gt_masks, gt_idx)]),
            torch.cat([gt.labels[g] for gt, g in zip(batch_gt_instances, gt_idx)]),
            torch.cat(boxes), num_pos)

    def _stop_loss(self, stop_logits: Tensor, batch_gt_instances: InstanceList) -> Tensor:
        target, weight = self.stop_targets([len(g) for g in batch_gt_instances],
                                           stop_logits.shape[1], stop_logits.device)
        num_stop = reduce_mean(weight.sum()).clamp(min=1).item()
        return self.loss_stop(stop_logits.reshape(-1, 1), target.reshape(-1, 1),
                              weight=weight.reshape(-1, 1), avg_factor=num_stop)

    @staticmethod
    def stop_targets(num_gt: List[int], num_steps: int,
                     device: torch.device) -> Tuple[Tensor, Tensor]:
        """1 while objects remain, 0 at the step after the last object, ignored afterwards."""
        steps = torch.arange(num_steps, device=device)[None]
        n = torch.tensor(num_gt, device=device)[:, None]
        target = (steps < n).float()
        weight = (steps <= n).float()
        return target, weight

    def _iou_loss(self, iou_pred: Tensor, mask_logits: Tensor,
                  tgt: MatchedTargets) -> Dict[str, Tensor]:
        """The IoU branch's loss between each matched step's predicted and true (transformed)
        mask IoU.

        Before the branch is switched on (``joint=False`` and no freeze yet) the loss is kept in
        the graph at weight 0, so DDP sees every parameter used, and logged as ``iou_l1``.
        """
        binary = mask_logits.detach().sigmoid() > self.test_cfg['mask_thr']
        target = self.iou_branch.transform(mask_iou(binary, tgt.masks > 0.5))
        loss = self.iou_branch.loss(iou_pred, target, avg_factor=tgt.num_pos)
        if self.iou_branch.joint or self.iou_only:
            return dict(loss_iou=loss)
        return dict(loss_iou=loss * 0, iou_l1=loss.detach())

    def _only_iou(self, losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """After the freeze only the IoU loss trains; the frozen losses are not computed into
        the total (their parameters get no gradient anyway)."""
        if not self.iou_only:
            return losses
        if self.iou_branch is None:
            raise RuntimeError('the segmentation network is frozen but this head has no IoU '
                               'branch to train; set model.head.iou_branch')
        return dict(loss_iou=losses['loss_iou'])

    @staticmethod
    def _gt_masks(gt: InstanceData, size: Tuple[int, int], device: torch.device) -> Tensor:
        if len(gt) == 0:
            return torch.zeros((0,) + tuple(size), device=device)
        masks = gt.masks.to_tensor(dtype=torch.float32, device=device)
        if tuple(masks.shape[-2:]) != tuple(size):
            raise ValueError(f'gt masks of shape {tuple(masks.shape[-2:])} do not match the '
                             f'padded input {tuple(size)}; set pad_mask=True in the '
                             'DetDataPreprocessor')
        return masks

    @staticmethod
    def _box_scale(meta: dict, like: Tensor) -> Tensor:
        """Boxes are predicted relative to the image's own (unpadded) size, so a target does not
        depend on which images share its batch."""
        h, w = meta['img_shape'][:2]
        return like.new_tensor([w, h, w, h])

    @staticmethod
    def _boxes(gt: InstanceData, device: torch.device) -> Tensor:
        boxes = gt.bboxes
        boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
        return boxes.to(device=device, dtype=torch.float32)

    # ------------------------------------------------------------------ inference
    def predict(self, x: Tuple[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> InstanceList:
        """Instances per image, selected by ``test_cfg.rule``, weak-filtered if set."""
        metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(self(x), metas, rescale)

    def predict_by_feat(self, outs: Outs, batch_img_metas: List[dict],
                        rescale: bool = True) -> InstanceList:
        return self.predict_by_probs(outs, self.step_probs(outs, batch_img_metas),
                                     batch_img_metas, rescale)

    def predict_by_probs(self, outs: Outs, probs: Outs, batch_img_metas: List[dict],
                         rescale: bool = True) -> InstanceList:
        """The instances of :meth:`step_probs`' ``probs``, ``outs`` giving the other step
        outputs (``bbox_pred``, ``iou_pred``): public so that a backend computing the
        probabilities elsewhere (an exported image graph) shares the inference rule."""
        results = [self._predict_by_feat_single(self._image_steps(outs, probs, b, meta), meta,
                                                rescale)
                   for b, meta in enumerate(batch_img_metas)]
        if self.weak_filter is not None:
            results = self.weak_filter(results, batch_img_metas)
        return results

    def _predict_by_feat_single(self, steps: ImageSteps, meta: dict,
                                rescale: bool) -> InstanceData:
        if self.test_cfg['rule'] == 'original':
            return original_instances(steps, meta, self.test_cfg, rescale, self.align_corners)
        return first_stop_instances(steps, meta, self.test_cfg, rescale, self.align_corners,
                                    int(self.eos_class))

    def step_probs(self, outs: Outs, batch_img_metas: List[dict]) -> Outs:
        """What the original ``test()`` returns for every step: ``mask_probs (B, T, H, W)``
        at the padded input size, ``cls_probs (B, T, C)`` (the softmax of the class logits,
        restricted to the image labels by a weak filter) and ``stop_probs (B, T)``."""
        probs = dict(mask_probs=self.to_padded(outs['mask_logits'], batch_img_metas).sigmoid())
        if 'cls_logits' in outs:
            cls_logits = outs['cls_logits']
            if self.weak_filter is not None:
                cls_logits = self.weak_filter.class_logits(cls_logits, batch_img_metas)
            probs['cls_probs'] = cls_logits.softmax(-1)
        if 'stop_logits' in outs:
            probs['stop_probs'] = outs['stop_logits'].sigmoid()
        return probs

    def _image_steps(self, outs: Outs, probs: Outs, b: int, meta: dict) -> ImageSteps:
        """Image ``b``'s step outputs: boxes in ``img_shape`` pixels, IoUs untransformed."""
        boxes = outs.get('bbox_pred')
        if boxes is not None:
            boxes = bbox_cxcywh_to_xyxy(boxes[b]) * self._box_scale(meta, boxes)
        ious = outs.get('iou_pred')
        return ImageSteps(
            probs['mask_probs'][b],
            None if 'cls_probs' not in probs else probs['cls_probs'][b],
            None if 'stop_probs' not in probs else probs['stop_probs'][b], boxes,
            None if ious is None else self.iou_branch.to_iou(ious[b]))
