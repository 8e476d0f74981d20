"""RSIS head: recurrent mask decoder + optional class / box / stop / IoU branches, matched sIoU
losses; an optional class-token conditioner makes it W-RSIS."""
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

from ..layers.class_token import class_tokens, pad_tokens
from ..task_modules.weak_label_filter import WeakLabelFilter, weak_metainfo
from .iou_branch import mask_iou

BRANCHES = ('cls', 'bbox', 'stop')


def _replay_linear_init(in_features: int, out_features: int) -> None:
    """Draw from the global generator what constructing ``nn.Linear(in, out)`` draws; the
    layer itself is discarded (see ``replay_init`` of :class:`RSISHead`)."""
    nn.Linear(in_features, out_features)


@MODELS.register_module()
class RSISHead(BaseModule):
    """Segments one object per recurrent step (thesis sec. 3.3.1); W-RSIS with class tokens.

    Without a conditioner (RSIS): training matches the first ``G`` steps of an image with ``G``
    objects one-to-one to its objects by the Hungarian matcher on the sIoU cost (the model picks
    its own order); matched steps get the sIoU, class and box losses; the stop branch learns 1
    for those steps and 0 for step ``G``. Inference: steps run until the stop score drops below
    ``stop_thr``; no NMS. ``test_cfg.rule`` picks the selection: ``'first_stop'`` (that one, the
    default) or ``'original'`` (imatge-upc/rsis eval.py, see :meth:`predict`). ``test_cfg
    .weak_filter`` post-processes the predictions with the image's weak labels
    (:class:`~mmsegsup.models.task_modules.WeakLabelFilter`: RSIS + IL, RSIS + IL + C).

    With a ``conditioner`` (W-RSIS, thesis ch. 4.6.1, :class:`WRSISHead`): one step per class
    token, the conditioner turning the token into the decoder's extra input. Training: the
    tokens are the image's ground-truth classes sorted by class, one per instance (what IL+C
    labels give), the first ``max_steps`` of them; the matcher's costs decide whether a step may
    only meet an object of its token's class (``SameClassCost``: the "masked Hungarian" of table
    4.6b). Inference: one step per token of the image's weak labels (``weak_tokens`` in the
    metainfo, see ``LoadWeakLabels``), no stop rule and no cap: each token gives exactly one
    instance with the token's class. Its score, which only ranks instances for AP since the
    count is given, is the mask confidence: the mean foreground probability inside the predicted
    mask (0 for an empty mask). Boxes are the masks' tight boxes.

    Args:
        num_classes: number of object classes.
        in_channels: encoder channels per level, finest first.
        decoder: config of the recurrent decoder (``in_channels`` is filled in, and with a
            conditioner ``extra_input_channels``).
        max_steps: most objects per image (recurrent steps).
        matcher: config of the mask matcher (TASK_UTILS).
        loss_mask / loss_cls / loss_bbox / loss_stop: loss configs (the last three used only
            with their branch).
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
        with_cls / with_stop: the class branch (``fc_cls``, cross-entropy) and the stop branch
            (``fc_stop``, binary cross-entropy). A head without a conditioner needs both.
        conditioner: config (MODELS) of a class-token conditioner such as
            ``OneHotClassToken`` (``num_classes`` filled in): ``out_channels``, ``forward(tokens
            (B, T), dtype) -> (B, T, C, 1, 1)`` and ``check(tokens, meta)``.
        replay_init: names among ``'cls'``, ``'bbox'``, ``'stop'`` of branches that are off but
            whose random initial draws are still taken, in their place: a seeded head then
            starts from the same weights (IoU branch, backbone initialised afterwards) as the
            former W-RSIS head, which built those branches and dropped them.
        train_cfg / test_cfg: ``test_cfg`` keys ``rule`` ('first_stop' or 'original'),
            ``stop_thr`` (0.5), ``mask_thr`` (0.5), ``score`` ('cls_stop': class probability x
            stop probability, or 'cls'; 'first_stop' only), ``min_size`` (0.001 of the
            image area; 'original' only) and ``weak_filter`` (None, 'labels' or
            'labels+counts'). With a conditioner only ``mask_thr`` is used.
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
                 with_cls: bool = True,
                 with_stop: bool = True,
                 conditioner: OptConfigType = None,
                 replay_init: Sequence[str] = (),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.max_steps = max_steps
        self.eos_class = eos_class
        self.with_bbox = with_bbox
        self.align_corners = align_corners
        self.test_cfg = dict(rule='first_stop', stop_thr=0.5, mask_thr=0.5, score='cls_stop',
                             min_size=0.001, weak_filter=None)
        self.test_cfg.update(test_cfg or {})
        self.train_cfg = train_cfg or {}
        self._check_options(conditioner, with_cls, with_stop, replay_init)
        self.conditioner = None
        if conditioner is not None:
            self.conditioner = MODELS.build(dict(dict(num_classes=num_classes), **conditioner))
            decoder = self._conditioned(decoder, self.conditioner.out_channels)
        self.decoder = MODELS.build(dict(decoder, in_channels=list(in_channels)))
        feat = self.decoder.pooled_channels
        on = dict(cls=with_cls, bbox=with_bbox, stop=with_stop)
        out = dict(cls=num_classes, bbox=4, stop=1)
        for name in BRANCHES:  # in this order: seeded runs draw the same initial weights
            layer = nn.Linear(feat, out[name]) if on[name] else None
            if layer is None and name in replay_init:
                _replay_linear_init(feat, out[name])
            setattr(self, f'fc_{name}', layer)
        self.matcher = TASK_UTILS.build(matcher)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_cls = MODELS.build(loss_cls) if with_cls else None
        self.loss_bbox = MODELS.build(loss_bbox) if with_bbox else None
        self.loss_stop = MODELS.build(loss_stop) if with_stop else None
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

    def _check_options(self, conditioner: OptConfigType, with_cls: bool, with_stop: bool,
                       replay_init: Sequence[str]) -> None:
        cfg = self.test_cfg
        if cfg['rule'] not in self.RULES:
            raise ValueError(f'test_cfg.rule must be one of {self.RULES}, got {cfg["rule"]!r}')
        if cfg['rule'] == 'original' and not self.eos_class:
            raise ValueError("test_cfg.rule='original' reads class 0 as the original's <eos>: "
                             'set eos_class=True (and num_classes = object classes + 1)')
        if set(replay_init) - set(BRANCHES):
            raise ValueError(f'replay_init must name branches of {BRANCHES}, got {replay_init}')
        if conditioner is None and not (with_cls and with_stop):
            raise ValueError('a head without class tokens labels its steps with the class '
                             'branch and counts them with the stop branch: keep with_cls and '
                             'with_stop, or set a conditioner (W-RSIS)')
        if conditioner is not None and with_stop:
            raise ValueError('with a conditioner the class tokens give the number of steps: '
                             'set with_stop=False')
        if conditioner is not None and cfg['weak_filter'] is not None:
            raise ValueError('test_cfg.weak_filter filters the predictions of a head without '
                             'class tokens; a conditioned head already takes the weak labels '
                             'as its tokens')

    @staticmethod
    def _conditioned(decoder: ConfigType, channels: int) -> ConfigType:
        """The decoder config with the conditioner's channels as its extra input."""
        extra = decoder.get('extra_input_channels', channels)
        if extra != channels:
            raise ValueError(f'the conditioner feeds {channels} channels to the decoder, but '
                             f'decoder.extra_input_channels is {extra}')
        return dict(decoder, extra_input_channels=channels)

    def forward(self, x: Tuple[Tensor], num_steps: Optional[int] = None,
                tokens: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Run ``num_steps`` recurrent steps (default ``max_steps``), or with a conditioner one
        step per class token of ``tokens (B, T)`` (-1 where an image has fewer than ``T``).

        Returns a dict of ``mask_logits (B, T, h, w)`` at the decoder's finest resolution, and
        per branch ``cls_logits (B, T, C)``, ``stop_logits (B, T)``, ``bbox_pred (B, T, 4)``
        (cx, cy, w, h in [0, 1] of each image's ``img_shape``) and ``iou_pred (B, T)``
        (transformed).
        """
        proj = self._project(x)
        extra = None
        if self.conditioner is not None:
            if tokens is None or tokens.numel() == 0:
                raise ValueError('this head segments one object per class token: pass tokens '
                                 '(B, T) with T >= 1')
            extra = self.conditioner(tokens, proj[0].dtype)
            num_steps = tokens.shape[1]
        state = None
        masks, pooled, iou_feats = [], [], []
        for t in range(num_steps or self.max_steps):
            mask, feat, state = self.decoder.step(
                proj, state, extra_input=None if extra is None else extra[:, t])
            masks.append(mask[:, 0])
            pooled.append(feat)
            iou_feats.append(self._iou_feature(proj, state, mask))
        out = dict(mask_logits=torch.stack(masks, 1))
        feats = torch.stack(pooled, 1)
        if self.fc_cls is not None:
            out['cls_logits'] = self.fc_cls(feats)
        if self.fc_stop is not None:
            out['stop_logits'] = self.fc_stop(feats)[..., 0]
        if self.fc_bbox is not None:
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
        """Match steps to objects per image and compute the losses of the head's branches."""
        gts = [s.gt_instances for s in batch_data_samples]
        num_gt = [len(g) for g in gts]
        tokens = None
        if self.conditioner is None:
            num_steps = min(self.max_steps, max(num_gt) + 1)
            out = self(x, num_steps)
            num_preds = [min(n, num_steps) for n in num_gt]
        else:
            tokens = [class_tokens(g.labels)[:self.max_steps] for g in gts]
            out = self(x, tokens=pad_tokens(tokens, x[0].device))
            num_preds = [len(t) for t in tokens]
        mask_logits = self.to_padded(out['mask_logits'], batch_data_samples)
        device = mask_logits.device
        gt_masks = [self._gt_masks(g, mask_logits.shape[-2:], device) for g in gts]
        matches = self.matcher.match(mask_logits.detach().sigmoid(), gt_masks,
                                     num_preds=num_preds, pred_labels=tokens,
                                     gt_labels=[g.labels for g in gts])
        batch_idx, pred_idx, tgt_masks = self._gather_matched(matches, gt_masks, device)

        # Normalise by the global count so that DDP averages to the single-process loss.
        num_pos = reduce_mean(mask_logits.new_tensor(float(len(pred_idx)))).clamp(min=1).item()
        losses = dict(loss_mask=self.loss_mask(mask_logits[batch_idx, pred_idx], tgt_masks,
                                               avg_factor=num_pos))
        if self.fc_cls is not None:
            tgt_labels = torch.cat([gt.labels[g.to(device)] for gt, (_, g) in zip(gts, matches)])
            losses['loss_cls'] = self.loss_cls(out['cls_logits'][batch_idx, pred_idx],
                                               tgt_labels + int(self.eos_class),
                                               avg_factor=num_pos)
        if self.fc_bbox is not None:
            tgt_boxes = torch.cat([
                bbox_xyxy_to_cxcywh(self._boxes(gt, device)[g.to(device)]) /
                self._box_scale(s.metainfo, mask_logits)
                for gt, s, (_, g) in zip(gts, batch_data_samples, matches)])
            losses['loss_bbox'] = self.loss_bbox(out['bbox_pred'][batch_idx, pred_idx],
                                                 tgt_boxes, avg_factor=num_pos * 4)
        if self.fc_stop is not None:
            stop_target, stop_weight = self.stop_targets(num_gt, num_steps, device)
            num_stop = reduce_mean(stop_weight.sum()).clamp(min=1).item()
            losses['loss_stop'] = self.loss_stop(out['stop_logits'].reshape(-1, 1),
                                                 stop_target.reshape(-1, 1),
                                                 weight=stop_weight.reshape(-1, 1),
                                                 avg_factor=num_stop)
        losses.update(self._iou_loss(out, mask_logits, batch_idx, pred_idx, tgt_masks, num_pos))
        return self._only_iou(losses)

    def to_padded(self, mask_logits: Tensor, samples: SampleList) -> Tensor:
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
    def stop_targets(num_gt: List[int], num_steps: int,
                     device: torch.device) -> Tuple[Tensor, Tensor]:
        """1 while objects remain, 0 at the step after the last object, ignored afterwards."""
        steps = torch.arange(num_steps, device=device)[None]
        n = torch.tensor(num_gt, device=device)[:, None]
        target = (steps < n).float()
        weight = (steps <= n).float()
        return target, weight

    def step_probs(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """What the original ``test()`` returns, for all ``max_steps`` steps: ``mask_probs
        (B, T, H, W)`` at the padded input size, ``cls_probs (B, T, C)`` (the softmax of the
        class logits, restricted to the image labels by a weak filter) and ``stop_probs (B,
        T)``; and ``out``, the :meth:`forward` dict."""
        out = self(x)
        cls_logits = out['cls_logits']
        if self.weak_filter is not None:
            metas = [s.metainfo for s in batch_data_samples]
            cls_logits = self.weak_filter.class_logits(cls_logits, metas)
        return dict(out=out,
                    mask_probs=self.to_padded(out['mask_logits'], batch_data_samples).sigmoid(),
                    cls_probs=cls_logits.softmax(-1),
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
        if self.conditioner is not None:
            return self._token_predictions(x, batch_data_samples, rescale)
        probs = self.step_probs(x, batch_data_samples)
        if self.test_cfg['rule'] == 'original':
            results = [self._original_instances(probs, b, s.metainfo, rescale)
                       for b, s in enumerate(batch_data_samples)]
        else:
            results = self._first_stop_instances(probs, batch_data_samples, rescale)
        if self.weak_filter is not None:
            results = self.weak_filter(results, [s.metainfo for s in batch_data_samples])
        return results

    def _token_predictions(self, x: Tuple[Tensor], batch_data_samples: SampleList,
                           rescale: bool) -> List[InstanceData]:
        """One instance per weak-label token, labelled with the token's class."""
        metas = [s.metainfo for s in batch_data_samples]
        device = x[0].device
        tokens = [torch.as_tensor(weak_metainfo(m)[0], dtype=torch.long) for m in metas]
        for meta, t in zip(metas, tokens):
            self.conditioner.check(t, meta)
        out = self(x, tokens=pad_tokens(tokens, device))
        probs = self.to_padded(out['mask_logits'], batch_data_samples).sigmoid()
        results = []
        for b, (t, meta) in enumerate(zip(tokens, metas)):
            res = self.token_instances(probs[b, :len(t)], t.to(device), meta, rescale)
            if self.iou_branch is not None:
                res.ious = self.iou_branch.to_iou(out['iou_pred'][b, :len(t)])
            results.append(res)
        return results

    def token_instances(self, probs: Tensor, labels: Tensor, meta: dict,
                        rescale: bool) -> InstanceData:
        """The instances of one image's token steps ``probs (T, H_pad, W_pad)``: thresholded at
        its (original) size, scored by mask confidence, boxed tightly."""
        probs = self._to_image(probs, meta, rescale)
        masks = probs > self.test_cfg['mask_thr']
        area = masks.sum((1, 2))
        scores = (probs * masks).sum((1, 2)) / area.clamp(min=1)
        return InstanceData(masks=masks, labels=labels, scores=scores,
                            bboxes=mask2bbox(masks).to(probs.device))

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
        boxes = None if self.fc_bbox is None else bbox_cxcywh_to_xyxy(out['bbox_pred'])
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
