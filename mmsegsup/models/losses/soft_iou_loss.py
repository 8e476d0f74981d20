"""Soft intersection-over-union: the mask loss and the matching cost of the RSIS family."""
from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.losses.utils import weight_reduce_loss
from mmsegsup.registry import MODELS
from torch import Tensor

REDUCTIONS = ('none', 'mean', 'sum')


def soft_iou(pred: Tensor, target: Tensor, eps: float = 1e-6, smooth: float = 0.0) -> Tensor:
    """sIoU = (sum(p*g) + s) / (sum(p) + sum(g) - sum(p*g) + s + eps) over all but dim 0.

    ``pred`` holds probabilities, ``target`` binary (or soft) masks of the same shape
    ``(N, ...)``; returns ``(N,)``. With ``smooth=0`` (RSIS) two empty masks give 0, so an empty
    target adds a constant and no gradient; ``smooth > 0`` (RVOS, whose objects may leave the
    frame) makes an empty target pull the prediction towards empty too.
    """
    pred = pred.flatten(1)
    target = target.flatten(1).to(pred.dtype)
    inter = (pred * target).sum(1)
    union = pred.sum(1) + target.sum(1) - inter
    return (inter + smooth) / (union + smooth + eps)


def pairwise_soft_iou(pred: Tensor, target: Tensor, eps: float = 1e-6) -> Tensor:
    """Batched all-pairs sIoU: ``pred (B, P, ...)`` x ``target (B, G, ...)`` -> ``(B, P, G)``.

    One matrix product per batch instead of P*G separate reductions; this is what makes the
    Hungarian matcher cheap.
    """
    pred = pred.flatten(2)
    target = target.flatten(2).to(pred.dtype)
    inter = torch.bmm(pred, target.transpose(1, 2))
    union = pred.sum(2)[:, :, None] + target.sum(2)[:, None, :] - inter
    return inter / (union + eps)


def soft_iou_loss(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  eps: float = 1e-6, smooth: float = 0.0, reduction: str = 'mean',
                  avg_factor: Optional[float] = None) -> Tensor:
    """``1 - sIoU`` per mask pair ``(N, ...)`` of probabilities, reduced as mmdet's losses.

    ``weight (N,)`` scales each pair. Without ``avg_factor`` this is mmdet's
    ``weight_reduce_loss``. With it (``reduction='mean'`` only, as in mmdet) the sum is divided
    by ``avg_factor`` itself: mmdet adds float32's eps to it, which moves the loss of a batch
    with one object by an ulp and so would part the thesis-exact RVOS reduction (a per-frame
    mean, often over one object) from the original's.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    loss = 1 - soft_iou(pred, target, eps, smooth)
    if avg_factor is None:
        return weight_reduce_loss(loss, weight, reduction)
    if reduction != 'mean':
        raise ValueError(f'avg_factor can only be used with reduction="mean", got '
                         f'{reduction!r}')
    return weight_reduce_loss(loss, weight, 'sum') / max(float(avg_factor), eps)


@MODELS.register_module()
class SoftIoULoss(nn.Module):
    """:func:`soft_iou_loss` as an mmdet loss module (``reduction`` / ``avg_factor`` /
    ``reduction_override`` / ``weight`` as in mmdet's ``DiceLoss``).

    Args:
        use_sigmoid: apply a sigmoid to ``pred`` (logits in) before the sIoU.
        loss_weight: multiplier of the loss.
        eps: denominator stabiliser.
        smooth: added to intersection and union (see :func:`soft_iou`).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
    """

    def __init__(self, use_sigmoid: bool = True, loss_weight: float = 1.0,
                 eps: float = 1e-6, smooth: float = 0.0, reduction: str = 'mean') -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
        self.use_sigmoid = use_sigmoid
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.eps = eps
        self.smooth = smooth

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """``pred`` and ``target`` are ``(N, H, W)``; ``weight`` is an optional ``(N,)``.

        No pair gives a zero loss (``(0,)`` with ``reduction='none'``) that keeps the graph.
        """
        if pred.shape != target.shape:
            raise ValueError(f'SoftIoULoss: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        reduction = reduction_override or self.reduction
        if pred.shape[0] == 0:
            return pred.flatten(1).sum(1) * 0 if reduction == 'none' else pred.sum() * 0
        probs = pred.sigmoid() if self.use_sigmoid else pred
        return self.loss_weight * soft_iou_loss(probs, target, weight, self.eps, self.smooth,
                                                reduction, avg_factor)
