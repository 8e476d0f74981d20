"""Hungarian matching of predicted to ground-truth masks, with mmdet's assigner contract."""
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.models.task_modules.assigners import AssignResult, BaseAssigner
from mmengine.structures import InstanceData
from mmsegsup.registry import TASK_UTILS
from scipy.optimize import linear_sum_assignment
from torch import Tensor

Match = Tuple[Tensor, Tensor]
CostCfg = Union[dict, Callable]
SOLVERS = ('scipy', 'munkres')


def solve_assignment(cost: np.ndarray, solver: str = 'scipy') -> Tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of a minimum-cost assignment of the ``(R, C)`` matrix ``cost``.

    ``'scipy'``: ``linear_sum_assignment``. ``'munkres'``: the ``munkres`` 1.0.12 package that
    imatge-upc/rvos and imatge-upc/rsis match with (their requirements.txt,
    utils/hungarian.py ``match``); both find an optimum, but among equal-cost optima they pick
    differently, and the originals meet such ties every clip (padding rows of equal cost).
    """
    if solver == 'scipy':
        return linear_sum_assignment(cost)
    if solver != 'munkres':
        raise ValueError(f'solver must be one of {SOLVERS}, got {solver!r}')
    from munkres import Munkres  # loaded only by the thesis configs that ask for it
    pairs = Munkres().compute(np.asarray(cost, np.float64).tolist())
    pairs = sorted(pairs)
    return (np.array([r for r, _ in pairs], dtype=np.int64),
            np.array([c for _, c in pairs], dtype=np.int64))


def matched_pairs(result: AssignResult) -> Match:
    """``(pred_idx, gt_idx)`` long tensors of the assigned pairs, sorted by ``pred_idx``."""
    pred_idx = (result.gt_inds > 0).nonzero()[:, 0]
    return pred_idx, result.gt_inds[pred_idx] - 1


@TASK_UTILS.register_module()
class HungarianMaskMatcher(BaseAssigner):
    """Optimal one-to-one assignment minimising the summed ``match_costs`` (RSIS, W-RSIS, RVOS).

    :meth:`assign` is mmdet's ``HungarianAssigner`` contract on masks: ``pred_instances.masks
    (P, H, W)`` probabilities (and ``labels`` for class-constrained costs), ``gt_instances.masks
    (G, H, W)`` binary tensors (and ``labels``) -> an ``AssignResult`` whose ``gt_inds`` is 0
    for an unmatched prediction and ``k + 1`` for one matched to target ``k``.

    A cost may be ``inf`` for a pair it forbids (:class:`SameClassCost`): such a pair costs
    ``forbidden_cost`` in the assignment, larger than any real cost, so it is only chosen when
    nothing else can cover that row or column, and it is then dropped from the result.

    Args:
        match_costs: configs (TASK_UTILS) or callables of the costs, summed; default the sIoU
            cost alone (RSIS, RVOS). W-RSIS adds ``dict(type='SameClassCost')``.
        forbidden_cost: the stand-in cost of a forbidden pair.
        solver: ``'scipy'`` or ``'munkres'`` (the originals' solver and tie-breaking;
            :func:`solve_assignment`).
    """

    def __init__(self, match_costs: Optional[Sequence[CostCfg]] = None,
                 forbidden_cost: float = 1e6, solver: str = 'scipy') -> None:
        if solver not in SOLVERS:
            raise ValueError(f'solver must be one of {SOLVERS}, got {solver!r}')
        self.solver = solver
        if match_costs is None:
            match_costs = [dict(type='SoftIoUCost')]
        elif isinstance(match_costs, dict):
            match_costs = [match_costs]
        if not match_costs:
            raise ValueError('match_costs must not be empty')
        self.match_costs = [c if callable(c) else TASK_UTILS.build(c) for c in match_costs]
        self.forbidden_cost = forbidden_cost

    def solve(self, cost: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(rows, cols)`` of a minimum-cost assignment of ``cost`` with this solver."""
        return solve_assignment(cost, self.solver)

    def cost(self, pred_instances: InstanceData, gt_instances: InstanceData,
             img_meta: Optional[dict] = None) -> Tensor:
        """``(P, G)``: the sum of the match costs, ``inf`` where a pair is forbidden."""
        costs = [c(pred_instances=pred_instances, gt_instances=gt_instances, img_meta=img_meta)
                 for c in self.match_costs]
        return torch.stack(costs).sum(0)

    @torch.no_grad()
    def assign(self, pred_instances: InstanceData, gt_instances: InstanceData,
               img_meta: Optional[dict] = None, **kwargs) -> AssignResult:
        """Match one image's predictions to its targets (see the class docstring)."""
        num_preds, num_gts = len(pred_instances), len(gt_instances)
        device = pred_instances.masks.device
        gt_inds = torch.zeros(num_preds, dtype=torch.long, device=device)
        labels = gt_instances.labels if 'labels' in gt_instances else None
        assigned = None if labels is None else torch.full_like(gt_inds, -1)
        if num_preds and num_gts:
            cost = self.cost(pred_instances, gt_instances, img_meta)
            ok = torch.isfinite(cost)
            cost = torch.where(ok, cost, cost.new_tensor(self.forbidden_cost))
            rows, cols = self.solve(cost.cpu().numpy())
            keep = ok.cpu().numpy()[rows, cols]
            rows = torch.as_tensor(rows[keep], dtype=torch.long, device=device)
            cols = torch.as_tensor(cols[keep], dtype=torch.long, device=device)
            gt_inds[rows] = cols + 1
            if assigned is not None:
                assigned[rows] = labels.to(device)[cols]
        return AssignResult(num_gts=num_gts, gt_inds=gt_inds, max_overlaps=None,
                            labels=assigned)

    def match(self, pred_probs: Tensor, gt_masks: Sequence[Tensor],
              num_preds: Optional[Sequence[int]] = None,
              pred_labels: Optional[Sequence[Tensor]] = None,
              gt_labels: Optional[Sequence[Tensor]] = None) -> List[Match]:
        """:meth:`assign` over a batch, as index pairs.

        Args:
            pred_probs: ``(B, P, H, W)`` mask probabilities.
            gt_masks: per image a ``(G_b, H, W)`` binary tensor (``G_b`` may be 0).
            num_preds: per image, how many leading predictions take part (RSIS matches the
                first ``G_b`` steps only); default all ``P``.
            pred_labels / gt_labels: per image the ``labels`` of the predictions (the first
                ``num_preds``) and of the targets, for class-constrained costs.

        Returns:
            per image ``(pred_idx, gt_idx)`` long tensors of equal length, sorted by pred_idx.
        """
        if len(gt_masks) != pred_probs.shape[0]:
            raise ValueError(f'{pred_probs.shape[0]} predictions but {len(gt_masks)} targets')
        results = []
        for b, masks in enumerate(gt_masks):
            rows = pred_probs.shape[1] if num_preds is None else int(num_preds[b])
            pred = InstanceData(masks=pred_probs[b, :rows])
            gt = InstanceData(masks=masks)
            if pred_labels is not None:
                pred.labels = pred_labels[b][:rows]
            if gt_labels is not None:
                gt.labels = gt_labels[b]
            results.append(matched_pairs(self.assign(pred, gt)))
        return results
