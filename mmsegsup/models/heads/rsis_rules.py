"""The inference rules of the RSIS family: which recurrent steps of one image become instances.

Each rule is a function of one image's step outputs (:class:`ImageSteps`), as mmdet's
``_predict_by_feat_single``: ``'first_stop'`` (ours), ``'original'`` (imatge-upc/rsis
eval.py) and ``'tokens'`` (W-RSIS, one instance per class token).
"""
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData
from torch import Tensor


class ImageSteps(NamedTuple):
    """What the recurrent steps of one image predict; ``None`` where a branch is absent."""
    mask_probs: Tensor  # (T, H_pad, W_pad) at the padded batch input size
    cls_probs: Optional[Tensor] = None  # (T, C) softmax of the class branch
    stop_probs: Optional[Tensor] = None  # (T,)
    boxes: Optional[Tensor] = None  # (T, 4) xyxy in img_shape pixels (box branch)
    ious: Optional[Tensor] = None  # (T,) predicted mask IoU (IoU branch)
    tokens: Optional[Tensor] = None  # (T,) class token of each step (W-RSIS)


def probs_to_image(probs: Tensor, meta: dict, rescale: bool, align_corners: bool) -> Tensor:
    """Per-step probabilities ``(T, H_pad, W_pad)``: padding cropped, and resized to
    ``ori_shape`` with ``rescale``."""
    h, w = meta['img_shape'][:2]
    probs = probs[:, :h, :w]
    size = tuple(meta['ori_shape'][:2])
    if rescale and size != (h, w):
        if not len(probs):
            return probs.new_zeros((0, ) + size)
        probs = F.interpolate(probs[None], size=size, mode='bilinear',
                              align_corners=align_corners)[0]
    return probs


def rescale_boxes(bboxes: Tensor, meta: dict, rescale: bool) -> Tensor:
    """Boxes in ``img_shape`` pixels -> ``ori_shape`` pixels with ``rescale``, clamped."""
    h, w = meta['img_shape'][:2]
    if rescale:
        sf = meta.get('scale_factor', (1.0, 1.0))
        bboxes = bboxes / bboxes.new_tensor([sf[0], sf[1], sf[0], sf[1]])
        h, w = meta['ori_shape'][:2]
    bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, w)
    bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, h)
    return bboxes


def first_stop_instances(steps: ImageSteps, meta: dict, cfg: dict, rescale: bool,
                         align_corners: bool, class_offset: int = 0) -> InstanceData:
    """The steps before the first stop score below ``stop_thr``, each labelled with its argmax
    class among ``class_offset..C-1`` and scored p(class) (x p(stop) with ``score='cls_stop'``).
    Boxes are the box branch's, or else the masks' tight boxes."""
    stop = steps.stop_probs
    below = (stop < cfg['stop_thr']).nonzero()
    keep = int(below[0]) if len(below) else len(stop)
    probs = probs_to_image(steps.mask_probs[:keep], meta, rescale, align_corners)
    masks = probs > cfg['mask_thr']
    scores, labels = steps.cls_probs[:keep, class_offset:].max(-1)
    if cfg['score'] == 'cls_stop':
        scores = scores * stop[:keep]
    res = InstanceData(masks=masks, scores=scores, labels=labels)
    res.bboxes = mask2bbox(masks) if steps.boxes is None else rescale_boxes(
        steps.boxes[:keep], meta, rescale)
    if steps.ious is not None:
        res.ious = steps.ious[:keep]
    return res


def original_instances(steps: ImageSteps, meta: dict, cfg: dict, rescale: bool,
                       align_corners: bool) -> InstanceData:
    """imatge-upc/rsis eval.py:296-340: every step with ``stop >= stop_thr`` (no early stop)
    whose mask ``> mask_thr`` at the original size covers at least ``min_size`` of the image,
    emitted once per class ``1..C-1`` (class 0 is the original's ``<eos>``, so labels are
    ``cls - 1``) with score ``p(class) x p(stop)``, in (step, class) order; the instances carry
    their ``steps``."""
    stop = steps.stop_probs
    index = (stop >= cfg['stop_thr']).nonzero()[:, 0]
    probs = probs_to_image(steps.mask_probs[index], meta, rescale, align_corners)
    masks = probs > cfg['mask_thr']
    h, w = masks.shape[-2:]
    valid = masks.flatten(1).sum(1) >= cfg['min_size'] * h * w
    index, masks = index[valid], masks[valid]
    num_cls = steps.cls_probs.shape[-1] - 1
    res = InstanceData()
    res.masks = masks.repeat_interleave(num_cls, 0)
    res.steps = index.repeat_interleave(num_cls)
    res.labels = torch.arange(num_cls, device=stop.device).repeat(len(index))
    res.scores = (steps.cls_probs[index, 1:] * stop[index, None]).flatten()
    res.bboxes = mask2bbox(masks).repeat_interleave(num_cls, 0)  # once per mask
    return res


def token_instances(steps: ImageSteps, meta: dict, cfg: dict, rescale: bool,
                    align_corners: bool) -> InstanceData:
    """W-RSIS: one instance per class token, labelled with it, thresholded at ``mask_thr``
    at its (original) size, scored by mask confidence (the mean foreground probability
    inside the mask, 0 for an empty one: the count is given, the score only ranks for AP),
    boxed tightly."""
    probs = probs_to_image(steps.mask_probs, meta, rescale, align_corners)
    masks = probs > cfg['mask_thr']
    area = masks.sum((1, 2))
    scores = (probs * masks).sum((1, 2)) / area.clamp(min=1)
    res = InstanceData(masks=masks, labels=steps.tokens, scores=scores,
                       bboxes=mask2bbox(masks).to(probs.device))
    if steps.ious is not None:
        res.ious = steps.ious
    return res
