"""Hungarian mask matcher: optimal, constrained, rectangular and empty cases; mmdet's assigner
contract and the match costs."""
import itertools

import numpy as np
import pytest
import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmengine.structures import InstanceData
from mmsegsup.registry import TASK_UTILS

import mmsegsup  # noqa: F401
from mmsegsup.models.losses import soft_iou


def _brute_force(cost: np.ndarray, allowed=None):
    """Best total cost over all injective assignments of the smaller side."""
    p, g = cost.shape
    best = np.inf
    if p >= g:
        for rows in itertools.permutations(range(p), g):
            pairs = list(zip(rows, range(g)))
            if allowed is None or all(allowed[r, c] for r, c in pairs):
                best = min(best, sum(cost[r, c] for r, c in pairs))
    else:
        for cols in itertools.permutations(range(g), p):
            pairs = list(zip(range(p), cols))
            if allowed is None or all(allowed[r, c] for r, c in pairs):
                best = min(best, sum(cost[r, c] for r, c in pairs))
    return best


def _forbid(allowed: torch.Tensor):
    """A match cost (any callable) that forbids the pairs ``allowed`` marks False."""
    def cost(pred_instances, gt_instances, img_meta=None):
        return torch.zeros(allowed.shape).masked_fill(~allowed, float('inf'))
    return cost


def _constrained(allowed: torch.Tensor):
    return TASK_UTILS.build(dict(type='HungarianMaskMatcher',
                                 match_costs=[dict(type='SoftIoUCost'), _forbid(allowed)]))


def _cost(pred, gt):
    return np.array([[1 - soft_iou(pred[i][None], gt[j][None]).item() for j in range(len(gt))]
                     for i in range(len(pred))])


@pytest.fixture
def matcher():
    return TASK_UTILS.build(dict(type='HungarianMaskMatcher'))


@pytest.mark.parametrize('num_pred,num_gt', [(3, 3), (5, 3), (2, 4), (4, 1)])
def test_matches_brute_force_optimum(matcher, num_pred, num_gt):
    gen = torch.Generator().manual_seed(num_pred * 10 + num_gt)
    for _ in range(5):
        pred = torch.rand(2, num_pred, 6, 6, generator=gen)
        gt = [(torch.rand(num_gt, 6, 6, generator=gen) > 0.5).float() for _ in range(2)]
        matches = matcher.match(pred, gt)
        for b, (rows, cols) in enumerate(matches):
            cost = _cost(pred[b], gt[b])
            assert len(rows) == min(num_pred, num_gt)
            assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
            total = cost[rows.numpy(), cols.numpy()].sum()
            assert total == pytest.approx(_brute_force(cost), abs=1e-5)


def test_forbidden_pairs_are_respected(matcher):
    gen = torch.Generator().manual_seed(1)
    pred = torch.rand(1, 4, 6, 6, generator=gen)
    gt = [(torch.rand(3, 6, 6, generator=gen) > 0.5).float()]
    # The unconstrained optimum's first pair becomes forbidden.
    rows0, cols0 = matcher.match(pred, gt)[0]
    allowed = torch.ones(4, 3, dtype=torch.bool)
    allowed[rows0[0], cols0[0]] = False
    rows, cols = _constrained(allowed).match(pred, gt)[0]
    assert all(allowed[r, c] for r, c in zip(rows, cols))
    cost = _cost(pred[0], gt[0])
    assert cost[rows.numpy(), cols.numpy()].sum() == pytest.approx(
        _brute_force(cost, allowed.numpy()), abs=1e-5)


def test_infeasible_pairs_are_dropped(matcher):
    pred = torch.rand(1, 2, 4, 4)
    gt = [torch.ones(2, 4, 4)]
    allowed = torch.tensor([[True, False], [True, False]])  # nobody may take target 1
    rows, cols = _constrained(allowed).match(pred, gt)[0]
    assert cols.tolist() == [0] and len(rows) == 1


def test_no_targets_and_num_preds(matcher):
    pred = torch.rand(2, 5, 4, 4)
    gt = [torch.zeros(0, 4, 4), (torch.rand(2, 4, 4) > 0.5).float()]
    (r0, c0), (r1, c1) = matcher.match(pred, gt, num_preds=[0, 2])
    assert len(r0) == len(c0) == 0
    assert sorted(r1.tolist()) == [0, 1]  # only the first two steps take part


def test_mismatched_batch_raises(matcher):
    with pytest.raises(ValueError, match='targets'):
        matcher.match(torch.rand(2, 3, 4, 4), [torch.ones(1, 4, 4)])


def test_assign_follows_mmdets_assigner_contract(matcher):
    masks = torch.zeros(3, 4, 4)
    masks[0, :2], masks[1, 2:], masks[2, :, :2] = 1, 1, 1
    pred = InstanceData(masks=torch.stack([masks[1], masks[2] * 0.9, masks[0]]) * 0.9 + 0.05)
    gt = InstanceData(masks=masks[:2], labels=torch.tensor([4, 7]))
    result = matcher.assign(pred, gt)
    assert isinstance(result, AssignResult) and result.num_gts == 2
    # 0: unmatched prediction, k + 1: matched to target k (mmdet's HungarianAssigner)
    assert result.gt_inds.tolist() == [2, 0, 1]
    assert result.labels.tolist() == [7, -1, 4]
    empty = matcher.assign(pred, InstanceData(masks=torch.zeros(0, 4, 4)))
    assert empty.gt_inds.tolist() == [0, 0, 0] and empty.labels is None


def test_match_costs_soft_iou_weight_and_same_class():
    pred = InstanceData(masks=torch.rand(3, 5, 5), labels=torch.tensor([0, 1, 1]))
    gt = InstanceData(masks=(torch.rand(2, 5, 5) > 0.5).float(), labels=torch.tensor([1, 2]))
    siou = TASK_UTILS.build(dict(type='SoftIoUCost'))(pred, gt)
    assert siou.numpy() == pytest.approx(_cost(pred.masks, gt.masks), abs=1e-6)
    twice = TASK_UTILS.build(dict(type='SoftIoUCost', weight=2.0))(pred, gt)
    assert torch.allclose(twice, 2 * siou)
    same = TASK_UTILS.build(dict(type='SameClassCost'))(pred, gt)
    assert torch.isinf(same).tolist() == [[True, True], [False, True], [False, True]]
    assert (same[torch.isfinite(same)] == 0).all()
    with pytest.raises(ValueError, match='pred_labels'):
        TASK_UTILS.build(dict(type='SameClassCost'))(InstanceData(masks=pred.masks), gt)


def test_summed_costs_and_empty_cost_list():
    cfg = dict(type='HungarianMaskMatcher', match_costs=[dict(type='SoftIoUCost'),
                                                         dict(type='SoftIoUCost', weight=3.0)])
    matcher = TASK_UTILS.build(cfg)
    pred = InstanceData(masks=torch.rand(2, 4, 4))
    gt = InstanceData(masks=(torch.rand(2, 4, 4) > 0.5).float())
    single = TASK_UTILS.build(dict(type='HungarianMaskMatcher')).cost(pred, gt)
    assert torch.allclose(matcher.cost(pred, gt), 4 * single)
    with pytest.raises(ValueError, match='match_costs'):
        TASK_UTILS.build(dict(type='HungarianMaskMatcher', match_costs=[]))
