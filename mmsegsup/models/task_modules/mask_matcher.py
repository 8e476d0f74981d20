"""Hungarian matching of predicted to ground-truth masks on a batched soft-IoU cost."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmsegsup.registry import TASK_UTILS
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from ..losses.soft_iou_loss import pairwise_soft_iou

Match = Tuple[Tensor, Tensor]


@TASK_UTILS.register_module()
class HungarianMaskMatcher:
    """Optimal one-to-one assignment minimising ``1 - sIoU`` (RSIS, W-RSIS, RVOS).

    The cost of every (prediction, target) pair of the whole batch comes from one batched
    matrix product; only the small per-image assignment runs in scipy. Usable by any mmdet
    model that predicts a set of masks.

    Args:
        eps: sIoU denominator stabiliser.
        forbidden_cost: cost given to pairs the ``allowed`` mask forbids. Larger than any real
            cost, so a forbidden pair is only chosen when nothing else can cover that row or
            column; such pairs are dropped from the result.
    """

    def __init__(self, eps: float = 1e-6, forbidden_cost: float = 1e6) -> None:
        self.eps = eps
        self.forbidden_cost = forbidden_cost

    def cost(self, pred_probs: Tensor, gt_masks: Sequence[Tensor]) -> Tensor:
        """``(B, P, H, W)`` probabilities x B tensors ``(G_b, H, W)`` -> ``(B, P, G_max)``."""
        num_gt = max([len(g) for g in gt_masks] + [0])
        padded = pred_probs.new_zeros((len(gt_masks), num_gt) + tuple(pred_probs.shape[-2:]))
        for b, g in enumerate(gt_masks):
            padded[b, :len(g)] = g
        return 1 - pairwise_soft_iou(pred_probs, padded, self.eps)

    @torch.no_grad()
    def match(self, pred_probs: Tensor, gt_masks: Sequence[Tensor],
              num_preds: Optional[Sequence[int]] = None,
              allowed: Optional[Sequence[Optional[Tensor]]] = None) -> List[Match]:
        """Match each image's predictions to its targets.

        Args:
            pred_probs: ``(B, P, H, W)`` mask probabilities.
            gt_masks: per image a ``(G_b, H, W)`` binary tensor (``G_b`` may be 0).
            num_preds: per image, how many leading predictions take part (RSIS matches the
                first ``G_b`` steps only); default all ``P``.
            allowed: per image an optional ``(P, G_b)`` bool tensor; False forbids a pair
                (class-constrained matching of W-RSIS).

        Returns:
            per image ``(pred_idx, gt_idx)`` long tensors of equal length, sorted by pred_idx.
        """
        if len(gt_masks) != pred_probs.shape[0]:
            raise ValueError(f'{pred_probs.shape[0]} predictions but {len(gt_masks)} targets')
        cost = self.cost(pred_probs, gt_masks).cpu().numpy()
        results = []
        for b, g in enumerate(gt_masks):
            rows = pred_probs.shape[1] if num_preds is None else int(num_preds[b])
            results.append(self._assign(cost[b, :rows, :len(g)],
                                        None if allowed is None else allowed[b]))
        return results

    def _assign(self, cost: np.ndarray, allowed: Optional[Tensor]) -> Match:
        if cost.size == 0:
            empty = torch.zeros(0, dtype=torch.long)
            return empty, empty.clone()
        ok = None
        if allowed is not None:
            ok = allowed[:cost.shape[0], :cost.shape[1]].cpu().numpy().astype(bool)
            cost = np.where(ok, cost, self.forbidden_cost)
        rows, cols = linear_sum_assignment(cost)
        if ok is not None:
            keep = ok[rows, cols]
            rows, cols = rows[keep], cols[keep]
        return torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)
