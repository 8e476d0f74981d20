"""Soft intersection-over-union: the mask loss and the matching cost of the RSIS family."""
from typing import Optional

import torch
import torch.nn as nn
from mmsegsup.registry import MODELS
from torch import Tensor


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


@MODELS.register_module()
class SoftIoULoss(nn.Module):
    """``1 - sIoU`` per mask pair, summed and divided by ``avg_factor`` (or averaged).

    Args:
        use_sigmoid: apply a sigmoid to ``pred`` (logits in) before the sIoU.
        loss_weight: multiplier of the loss.
        eps: denominator stabiliser.
        smooth: added to intersection and union (see :func:`soft_iou`).
    """

    def __init__(self, use_sigmoid: bool = True, loss_weight: float = 1.0,
                 eps: float = 1e-6, smooth: float = 0.0) -> None:
        super().__init__()
        self.use_sigmoid = use_sigmoid
        self.loss_weight = loss_weight
        self.eps = eps
        self.smooth = smooth

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """``pred`` and ``target`` are ``(N, H, W)``; ``weight`` is an optional ``(N,)``."""
        if pred.shape != target.shape:
            raise ValueError(f'SoftIoULoss: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        if pred.shape[0] == 0:
            return pred.sum() * 0
        probs = pred.sigmoid() if self.use_sigmoid else pred
        loss = 1 - soft_iou(probs, target, self.eps, self.smooth)
        if weight is not None:
            loss = loss * weight
        denom = loss.numel() if avg_factor is None else avg_factor
        return self.loss_weight * loss.sum() / max(float(denom), self.eps)
