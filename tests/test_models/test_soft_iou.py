"""sIoU values and gradients checked against hand computation."""
import pytest
import torch

from mmsegsup.models.losses import SoftIoULoss, pairwise_soft_iou, soft_iou, soft_iou_loss


def test_soft_iou_hand_computed_value_and_gradient():
    p = torch.tensor([[0.5, 1.0, 0.0, 0.25]], requires_grad=True)
    g = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    # inter = 1.5, union = 1.75 + 2 - 1.5 = 2.25
    value = soft_iou(p, g, eps=0.0)
    assert value.item() == pytest.approx(1.5 / 2.25)
    value.sum().backward()
    # d(I/U)/dp_i = (g_i * U - I * (1 - g_i)) / U^2
    inter, union = 1.5, 2.25
    expected = [(gi * union - inter * (1 - gi)) / union ** 2 for gi in (1.0, 1.0, 0.0, 0.0)]
    assert torch.allclose(p.grad[0], torch.tensor(expected))


def test_soft_iou_limits():
    m = torch.tensor([[1.0, 0.0, 1.0]])
    assert soft_iou(m, m).item() == pytest.approx(1.0, abs=1e-5)
    assert soft_iou(m, 1 - m).item() == 0.0
    assert soft_iou(torch.zeros(1, 3), torch.zeros(1, 3)).item() == 0.0


def test_pairwise_equals_pointwise():
    pred = torch.rand(2, 3, 5, 5)
    gt = (torch.rand(2, 4, 5, 5) > 0.5).float()
    pw = pairwise_soft_iou(pred, gt)
    assert pw.shape == (2, 3, 4)
    for b in range(2):
        for i in range(3):
            for j in range(4):
                single = soft_iou(pred[b, i][None], gt[b, j][None]).item()
                assert pw[b, i, j] == pytest.approx(single, rel=1e-5)


def test_loss_module_logits_weight_and_avg_factor():
    logits = torch.tensor([[[3.0, -3.0], [0.0, 2.0]]]).repeat(2, 1, 1)
    target = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]).repeat(2, 1, 1)
    loss = SoftIoULoss(loss_weight=2.0)
    per_item = 1 - soft_iou(logits.sigmoid(), target)
    assert loss(logits, target).item() == pytest.approx(2.0 * per_item.mean().item(), rel=1e-6)
    assert loss(logits, target, avg_factor=4).item() == pytest.approx(
        2.0 * per_item.sum().item() / 4, rel=1e-6)
    w = torch.tensor([1.0, 0.0])
    assert loss(logits, target, weight=w, avg_factor=1).item() == pytest.approx(
        2.0 * per_item[0].item(), rel=1e-6)
    empty = torch.zeros(0, 2, 2, requires_grad=True)
    assert loss(empty, empty.detach()).item() == 0.0
    with pytest.raises(ValueError, match='differ in shape'):
        loss(logits, target[:, :1])


def test_smoothed_soft_iou_pushes_empty_targets_to_empty():
    p = torch.tensor([[0.5, 0.0]], requires_grad=True)
    empty = torch.zeros(1, 2)
    value = soft_iou(p, empty, eps=0.0, smooth=1.0)  # 1 / (0.5 + 1)
    assert value.item() == pytest.approx(1 / 1.5)
    value.sum().backward()
    assert p.grad[0, 0] < 0  # raising the sIoU means lowering the prediction
    assert soft_iou(torch.zeros(1, 2), empty, smooth=1.0).item() == pytest.approx(1.0, abs=1e-5)


def test_loss_reductions_follow_mmdet():
    """``reduction`` / ``reduction_override`` / ``avg_factor`` as mmdet's losses take them."""
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 4, 4, generator=gen)
    target = (torch.rand(3, 4, 4, generator=gen) > 0.5).float()
    per_item = 1 - soft_iou(logits.sigmoid(), target)
    w = torch.tensor([1.0, 0.5, 0.0])
    none = SoftIoULoss(reduction='none')(logits, target, weight=w)
    assert torch.allclose(none, per_item * w)
    assert SoftIoULoss(reduction='sum')(logits, target).item() == pytest.approx(
        per_item.sum().item(), rel=1e-6)
    loss = SoftIoULoss(reduction='sum')
    assert torch.allclose(loss(logits, target, reduction_override='none'), per_item)
    assert loss(logits, target, reduction_override='mean').item() == pytest.approx(
        per_item.mean().item(), rel=1e-6)
    # avg_factor divides the sum exactly (no eps added: thesis-exact reductions over 1 object)
    assert soft_iou_loss(logits.sigmoid(), target, avg_factor=1).item() == \
        per_item.sum().item()
    with pytest.raises(ValueError, match='avg_factor'):
        loss(logits, target, avg_factor=2)
    with pytest.raises(ValueError, match='reduction'):
        SoftIoULoss(reduction='max')
    empty = torch.zeros(0, 2, 2, requires_grad=True)
    out = SoftIoULoss(reduction='none')(empty, empty.detach())
    assert out.shape == (0, ) and out.requires_grad
