"""Class-balanced binary cross-entropy: the stop loss of imatge-upc/rsis.

The original weighs the BCE of positives by ``1 - w`` and of negatives by ``w``
(``StableBalancedMaskedBCE``, src/utils/hungarian.py:34-59), with ``w = stop_balance_weight``
(0.5 by default, src/args.py:93; passed at src/train.py:267) or, when that is None, the
fraction of positives in the batch's target (hungarian.py:46-50). With the default 0.5 the loss
is half the plain BCE, which is why it is an option of its own and not mmdet's
``CrossEntropyLoss`` with another ``loss_weight``: the config then reads like the original's
arguments (``stop_weight=0.5``, ``stop_balance_weight=0.5``).
"""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor

from mmsegsup.registry import MODELS


def balanced_bce(pred: Tensor, target: Tensor, balance_weight: Optional[float] = 0.5) -> Tensor:
    """Element-wise ``(1 - w) * BCE`` where ``target`` is 1 and ``w * BCE`` where it is 0.

    ``pred`` holds logits, ``target`` 0/1 values of the same shape. ``balance_weight=None``
    takes ``w`` = the fraction of positives over the whole ``target`` (masked-out entries
    included, as the original computes it before masking), so the rarer side weighs more.
    """
    target = target.to(pred.dtype)
    w = target.mean() if balance_weight is None else balance_weight
    bce = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
    return bce * ((1 - w) * target + w * (1 - target))


@MODELS.register_module()
class BalancedBCELoss(nn.Module):
    """:func:`balanced_bce` on logits, weighted and reduced like mmdet's losses.

    Args:
        balance_weight: weight of the negatives; the positives get ``1 - balance_weight``.
            None: the fraction of positives in each call's target.
        reduction: 'none', 'mean' or 'sum' (``avg_factor`` replaces the element count of
            'mean').
        loss_weight: multiplier of the loss.
    """

    def __init__(self, balance_weight: Optional[float] = 0.5, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if balance_weight is not None and not 0.0 <= balance_weight <= 1.0:
            raise ValueError(f'BalancedBCELoss: balance_weight must be in [0, 1] or None, got '
                             f'{balance_weight}')
        self.balance_weight = balance_weight
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """``pred`` logits and ``target`` of one shape; ``weight`` masks entries (0 = ignored)."""
        if pred.shape != target.shape:
            raise ValueError(f'BalancedBCELoss: pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        loss = balanced_bce(pred, target, self.balance_weight)
        if weight is not None:
            weight = weight.to(loss.dtype)
        reduction = reduction_override or self.reduction
        return self.loss_weight * weight_reduce_loss(loss, weight, reduction, avg_factor)
