"""Match costs of the mask matcher, with mmdet's match-cost call: ``(pred, gt) -> (P, G)``."""
from typing import Optional

import torch
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmengine.structures import InstanceData
from mmsegsup.registry import TASK_UTILS
from torch import Tensor

from ..losses.soft_iou_loss import pairwise_soft_iou


@TASK_UTILS.register_module()
class SoftIoUCost(BaseMatchCost):
    """``weight * (1 - sIoU)`` of every (predicted, ground-truth) mask pair (RSIS, RVOS).

    ``pred_instances.masks (P, ...)`` holds probabilities and ``gt_instances.masks (G, ...)``
    binary masks of the same size, both tensors; all pairs come from one matrix product.

    Args:
        weight: multiplier of the cost.
        eps: sIoU denominator stabiliser.
    """

    def __init__(self, weight: float = 1.0, eps: float = 1e-6) -> None:
        super().__init__(weight=weight)
        self.eps = eps

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData,
                 img_meta: Optional[dict] = None, **kwargs) -> Tensor:
        pred, gt = pred_instances.masks, gt_instances.masks
        return self.weight * (1 - pairwise_soft_iou(pred[None], gt[None], self.eps)[0])


@TASK_UTILS.register_module()
class SameClassCost:
    """A constraint: 0 for a prediction and a target of the same class, ``inf`` otherwise.

    W-RSIS's "masked Hungarian" (thesis table 4.6b): each step is told the class it segments
    (``pred_instances.labels``, its class token), so it may only be matched to an object of that
    class (``gt_instances.labels``). The matcher never returns a pair of infinite cost.
    """

    def __call__(self, pred_instances: InstanceData, gt_instances: InstanceData,
                 img_meta: Optional[dict] = None, **kwargs) -> Tensor:
        if 'labels' not in pred_instances or 'labels' not in gt_instances:
            raise ValueError('SameClassCost compares the labels of the predictions (their class '
                             'tokens) with those of the targets: pass pred_labels and '
                             'gt_labels to the matcher')
        pred = pred_instances.labels.to(gt_instances.labels.device)
        same = pred[:, None] == gt_instances.labels[None, :]
        return torch.zeros(same.shape, device=same.device).masked_fill(~same, float('inf'))
