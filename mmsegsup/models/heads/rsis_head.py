"""RSIS head: recurrent mask decoder + class / box / stop branches, matched sIoU losses."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmsegsup.registry import MODELS, TASK_UTILS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig, reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from .iou_branch import mask_iou


@MODELS.register_module()
class RSISHead(BaseModule):
    """Segments one object per recurrent step and says when to stop (thesis sec. 3.3.1).

    Training: the first ``G`` steps of an image with ``G`` objects are matched one-to-one to its
    objects by the Hungarian matcher on the sIoU cost (the model picks its own order); matched
    steps get the sIoU, class and box losses; the stop branch learns 1 for those steps and 0 for
    step ``G``. Inference: steps run until the stop score drops below ``stop_thr``; no NMS.
    ``test_cfg.rule`` picks the selection: ``'first_stop'`` (that one, the default) or
    ``'original'`` (imatge-upc/rsis eval.py, see :meth:`predict`).

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
            stop probability, or 'cls'; 'first_stop' only) and ``min_size`` (0.001 of the
            image area; 'original' only).
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
        self.max_steps = max_steps
        self.decoder = MODELS.build(dict(decoder, in_channels=list(in_channels)))
        feat = self.decoder.pooled_channels
        self.fc_cls = nn.Linear(feat, num_classes)
        self.with_bbox = with_bbox
        self.align_corners = align_corners
        if with_bbox:
            self.fc_bbox = nn.Linear(feat, 4)
        self.fc_stop = nn.Linear(feat, 1)
        self.matcher = TASK_UTILS.build(matcher)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_stop = MODELS.build(loss_stop)
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
        self.train_cfg = train_cfg or {}
        self.test_cfg = dict(rule='first_stop', stop_thr=0.5, mask_thr=0.5, score='cls_stop',
                             min_size=0.001)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['rule'] not in self.RULES:
            raise ValueError(f'test_cfg.rule must be one of {self.RULES}, got '
                             f'{self.test_cfg["rule"]!r}')
        self.eos_class = eos_class
        if self.test_cfg['rule'] == 'original' and not eos_class:
            raise ValueError("test_cfg.rule='original' reads class 0 as the original's <eos>: "
                             'set eos_class=True (and num_classes = object classes + 1)')

    def forward(self, x: Tuple[Tensor], num_steps: Optional[int] = None) -> Dict[str, Tensor]:
        """Run ``num_steps`` recurrent steps (default ``max_steps``).

        Returns a dict of ``mask_logits (B, T, h, w)`` at the decoder's finest resolution,
        ``cls_logits (B, T, C)``, with ``with_bbox`` ``bbox_pred (B, T, 4)`` (cx, cy, w, h in
        [0, 1] of each image's ``img_shape``) and
        ``stop_logits (B, T)``; with an IoU branch also ``iou_pred (B, T)`` (transformed).
        """
        proj = self._project(x)
        state = None
        masks, pooled, iou_feats = [], [], []
        for _ in range(num_steps or self.max_steps):
            mask, feat, state = self.decoder.step(proj, state)
            masks.append(mask[:, 0])
            pooled.append(feat)
            iou_feats.append(self._iou_feature(proj, state, mask))
        feats = torch.stack(pooled, 1)
        out = dict(mask_logits=torch.stack(masks, 1), cls_logits=self.fc_cls(feats),
                   stop_logits=self.fc_stop(feats)[..., 0])
        if self.with_bbox:
            out['bbox_pred'] = self.fc_bbox(feats).sigmoid()
        return self._add_iou_pred(out, iou_feats)

    def _project(self, x: Tuple[Tensor]) -> List[Tensor]:
        """Encoder levels (through the MC-dropout layer if any) projected for the decoder."""
        if self.encoder_dropout is not None:
            x = [self.encoder_dropout(f) for f in x]
        return self.decoder.project(x)

    def _iou_feature(self, proj: List[Tensor], state, mask: Tensor) -> Optional[Tensor]:
        if self.iou_branch is None:
            return None
        return self.decoder.pool(proj, state, mask, self.iou_branch.pooling)

    def _add_iou_pred(self, out: Dict[str, Tensor],
                      iou_feats: List[Optional[Tensor]]) -> Dict[str, Tensor]:
        if self.iou_branch is not None:
            out['iou_pred'] = self.iou_branch(torch.stack(iou_feats, 1))
        return out

    def _iou_loss(self, out: Dict[str, Tensor], mask_logits: Tensor, batch_idx: Tensor,
                  pred_idx: Tensor, tgt_masks: Tensor, num_pos: float) -> Dict[str, Tensor]:
        """L1 between each matched step's predicted and true (transformed) mask IoU.

        Before the branch is switched on (``joint=False`` and no freeze yet) the loss is kept in
        the graph at weight 0, so DDP sees every parameter used, and logged as ``iou_l1``.
        """
        if self.iou_branch is None:
            return {}
        binary = mask_logits[batch_idx, pred_idx].detach().sigmoid() > self.test_cfg['mask_thr']
        target = self.iou_branch.transform(mask_iou(binary, tgt_masks > 0.5))
        loss = self.iou_branch.loss(out['iou_pred'][batch_idx, pred_idx], target,
                                    avg_factor=num_pos)
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

    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Match steps to objects per image and compute the four losses."""
        gts = [s.gt_instances for s in batch_data_samples]
        num_gt = [len(g) for g in gts]
        num_steps = min(self.max_steps, max(num_gt) + 1)
        out = self(x, num_steps)
        mask_logits = self._to_padded(out['mask_logits'], batch_data_samples)
        device = mask_logits.device
        gt_masks = [self._gt_masks(g, mask_logits.shape[-2:], device) for g in gts]
        matches = self.matcher.match(mask_logits.detach().sigmoid(), gt_masks,
                                     num_preds=[min(n, num_steps) for n in num_gt])
        batch_idx, pred_idx, tgt_masks = self._gather_matched(matches, gt_masks, device)
        tgt_labels = torch.cat([gt.labels[g.to(device)] for gt, (_, g) in zip(gts, matches)])
        tgt_labels = tgt_labels + int(self.eos_class)

        # Normalise by the global count so that DDP averages to the single-process loss.
        num_pos = reduce_mean(mask_logits.new_tensor(float(len(pred_idx)))).clamp(min=1).item()
        losses = dict(
            loss_mask=self.loss_mask(mask_logits[batch_idx, pred_idx], tgt_masks,
                                     avg_factor=num_pos),
            loss_cls=self.loss_cls(out['cls_logits'][batch_idx, pred_idx], tgt_labels,
                                   avg_factor=num_pos))
        if self.with_bbox:
            tgt_boxes = torch.cat([
                bbox_xyxy_to_cxcywh(self._boxes(gt, device)[g.to(device)]) /
                self._box_scale(s.metainfo, mask_logits)
                for gt, s, (_, g) in zip(gts, batch_data_samples, matches)])
            losses['loss_bbox'] = self.loss_bbox(out['bbox_pred'][batch_idx, pred_idx],
                                                 tgt_boxes, avg_factor=num_pos * 4)
        stop_target, stop_weight = self._stop_targets(num_gt, num_steps, device)
        num_stop = reduce_mean(stop_weight.sum()).clamp(min=1).item()
        losses['loss_stop'] = self.loss_stop(out['stop_logits'].reshape(-1, 1),
                                             stop_target.reshape(-1, 1),
                                             weight=stop_weight.reshape(-1, 1),
                                             avg_factor=num_stop)
        losses.update(self._iou_loss(out, mask_logits, batch_idx, pred_idx, tgt_masks, num_pos))
        return self._only_iou(losses)

    def _to_padded(self, mask_logits: Tensor, samples: SampleList) -> Tensor:
        """Decoder mask logits ``(B, T, h, w)`` resized to the padded batch input."""
        size = tuple(samples[0].metainfo['batch_input_shape'])
        return F.interpolate(mask_logits, size=size, mode='bilinear',
                             align_corners=self.align_corners)

    @staticmethod
    def _gather_matched(matches: List[Tuple[Tensor, Tensor]], gt_masks: List[Tensor],
                        device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
        """``(batch index, step index, target mask)`` of every matched pair of a batch."""
        batch_idx = torch.cat([torch.full_like(p, b) for b, (p, _) in enumerate(matches)])
        pred_idx = torch.cat([p for p, _ in matches])
        tgt_masks = torch.cat([gm[g.to(device)] for gm, (_, g) in zip(gt_masks, matches)])
        return batch_idx.to(device), pred_idx.to(device), tgt_masks

    def _to_image(self, probs: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Per-step probabilities ``(T, H_pad, W_pad)``: padding cropped, and resized to
        ``ori_shape`` with ``rescale``."""
        h, w = meta['img_shape'][:2]
        probs = probs[:, :h, :w]
        size = tuple(meta['ori_shape'][:2])
        if rescale and size != (h, w):
            if not len(probs):
                return probs.new_zeros((0, ) + size)
            probs = F.interpolate(probs[None], size=size, mode='bilinear',
                                  align_corners=self.align_corners)[0]
        return probs

    def _class_logits(self, out: Dict[str, Tensor], metas: List[dict]) -> Tensor:
        """The class logits ``predict`` takes its softmax of (a hook: weak-label heads
        restrict them to the image's classes)."""
        return out['cls_logits']

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

    @staticmethod
    def _stop_targets(num_gt: List[int], num_steps: int,
                      device: torch.device) -> Tuple[Tensor, Tensor]:
        """1 while objects remain, 0 at the step after the last object, ignored afterwards."""
        steps = torch.arange(num_steps, device=device)[None]
        n = torch.tensor(num_gt, device=device)[:, None]
        target = (steps < n).float()
        weight = (steps <= n).float()
        return target, weight

    def step_probs(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """What the original ``test()`` returns, for all ``max_steps`` steps: ``mask_probs
        (B, T, H, W)`` at the padded input size, ``cls_probs (B, T, C)`` (the softmax of
        ``_class_logits``) and ``stop_probs (B, T)``; and ``out``, the :meth:`forward` dict."""
        out = self(x)
        metas = [s.metainfo for s in batch_data_samples]
        return dict(out=out,
                    mask_probs=self._to_padded(out['mask_logits'], batch_data_samples).sigmoid(),
                    cls_probs=self._class_logits(out, metas).softmax(-1),
                    stop_probs=out['stop_logits'].sigmoid())

    def predict(self, x: Tuple[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> List[InstanceData]:
        """Instances per image, selected by ``test_cfg.rule``.

        ``'first_stop'``: the steps before the first stop score below ``stop_thr``, each with
        its argmax class. ``'original'`` (imatge-upc/rsis eval.py:296-340): every step with
        ``stop >= stop_thr`` (no early stop) whose mask ``> mask_thr`` at the original size
        covers at least ``min_size`` of the image, emitted once per class ``1..C-1`` (class 0
        is the original's ``<eos>``, so labels are ``cls - 1``) with score
        ``p(class) x p(stop)``, in (step, class) order; the instances carry their ``steps``.
        """
        probs = self.step_probs(x, batch_data_samples)
        if self.test_cfg['rule'] == 'original':
            return [self._original_instances(probs, b, s.metainfo, rescale)
                    for b, s in enumerate(batch_data_samples)]
        return self._first_stop_instances(probs, batch_data_samples, rescale)

    def _original_instances(self, probs: Dict[str, Tensor], b: int, meta: dict,
                            rescale: bool) -> InstanceData:
        cfg, stop = self.test_cfg, probs['stop_probs'][b]
        steps = (stop >= cfg['stop_thr']).nonzero()[:, 0]
        masks = self._to_image(probs['mask_probs'][b, steps], meta, rescale) > cfg['mask_thr']
        h, w = masks.shape[-2:]
        valid = masks.flatten(1).sum(1) >= cfg['min_size'] * h * w
        steps, masks = steps[valid], masks[valid]
        num_cls = probs['cls_probs'].shape[-1] - 1
        res = InstanceData()
        res.masks = masks.repeat_interleave(num_cls, 0)
        res.steps = steps.repeat_interleave(num_cls)
        res.labels = torch.arange(num_cls, device=stop.device).repeat(len(steps))
        res.scores = (probs['cls_probs'][b, steps, 1:] * stop[steps, None]).flatten()
        res.bboxes = mask2bbox(masks).repeat_interleave(num_cls, 0)  # once per mask
        return res

    def _first_stop_instances(self, probs: Dict[str, Tensor], batch_data_samples: SampleList,
                              rescale: bool) -> List[InstanceData]:
        out, mask_probs, stop = probs['out'], probs['mask_probs'], probs['stop_probs']
        cls_prob, labels = probs['cls_probs'][..., int(self.eos_class):].max(-1)
        boxes = bbox_cxcywh_to_xyxy(out['bbox_pred']) if self.with_bbox else None
        results = []
        for b, sample in enumerate(batch_data_samples):
            meta = sample.metainfo
            below = (stop[b] < self.test_cfg['stop_thr']).nonzero()
            keep = int(below[0]) if len(below) else stop.shape[1]
            masks = self._to_image(mask_probs[b, :keep], meta, rescale) > self.test_cfg['mask_thr']
            scores = cls_prob[b, :keep]
            if self.test_cfg['score'] == 'cls_stop':
                scores = scores * stop[b, :keep]
            res = InstanceData()
            res.masks = masks
            res.bboxes = mask2bbox(masks) if boxes is None else self._rescale_boxes(
                boxes[b, :keep] * self._box_scale(meta, boxes), meta, rescale)
            res.scores = scores
            res.labels = labels[b, :keep]
            if self.iou_branch is not None:
                res.ious = self.iou_branch.to_iou(out['iou_pred'][b, :keep])
            results.append(res)
        return results

    @staticmethod
    def _rescale_boxes(bboxes: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Boxes in ``img_shape`` pixels -> ``ori_shape`` pixels with ``rescale``, clamped."""
        h, w = meta['img_shape'][:2]
        if rescale:
            sf = meta.get('scale_factor', (1.0, 1.0))
            bboxes = bboxes / bboxes.new_tensor([sf[0], sf[1], sf[0], sf[1]])
            h, w = meta['ori_shape'][:2]
        bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, w)
        bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, h)
        return bboxes
