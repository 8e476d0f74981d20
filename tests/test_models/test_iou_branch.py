"""IoU-W-RSIS: the mask-IoU branch, its target transforms, MC-dropout and the freeze hook."""
import copy
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmsegsup.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from mmsegsup.engine.hooks import FreezeSegmentationHook
from mmsegsup.models.heads import MaskIoUBranch, mask_iou
from mmsegsup.models.layers import class_tokens, pad_tokens
from tools_utils import REPO

IOU_WRSIS_CPU = 'configs/active_learning/iou-wrsis_r18-c16_shapes-64x64_cpu.py'
RSIS_CPU = 'configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py'


def _model(config: str, **head):
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.model.backbone.init_cfg = None
    cfg.model.head.update(head)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _batch(model, num_items, training):
    packed = demo_mm_inputs(batch_size=len(num_items), image_shapes=(3, 64, 64),
                            num_items=num_items, num_classes=3, with_mask=True)
    data = model.data_preprocessor(packed, training)
    for sample in data['data_samples']:
        tokens = sorted(sample.gt_instances.labels.tolist())
        sample.set_metainfo(dict(weak_tokens=tokens,
                                 weak_counts={c: tokens.count(c) for c in set(tokens)}))
    return data


def test_mask_iou_values():
    a = torch.zeros(3, 4, 4, dtype=torch.bool)
    b = torch.zeros(3, 4, 4, dtype=torch.bool)
    a[0, :2] = True          # 8 px
    b[0, 1:3] = True         # 8 px, 4 shared -> 4 / 12
    a[1, 0, 0] = True        # 1 px vs nothing -> 0
    # pair 2: both empty -> 1
    assert mask_iou(a, b).tolist() == pytest.approx([1 / 3, 0.0, 1.0])


@pytest.mark.parametrize('target,iou,value', [('iou', 0.25, 0.25), ('square', 0.5, 0.25),
                                              ('sqrt', 0.25, 0.5)])
def test_target_transform_round_trip(target, iou, value):
    branch = MaskIoUBranch(in_channels=4, target=target)
    t = branch.transform(torch.tensor([iou]))
    assert t.item() == pytest.approx(value)
    assert branch.to_iou(t).item() == pytest.approx(iou)


def test_bad_target_named():
    with pytest.raises(ValueError, match='target must be one of'):
        MaskIoUBranch(in_channels=4, target='log')


def test_iou_wrsis_loss_and_predict():
    model = _model(IOU_WRSIS_CPU)
    data = _batch(model, [2, 3], True)
    losses = model.loss(data['inputs'], data['data_samples'])
    # Before the freeze the IoU loss is in the graph at weight 0 and logged as iou_l1.
    assert set(losses) == {'loss_mask', 'loss_iou', 'iou_l1'}
    assert losses['loss_iou'].item() == 0 and losses['iou_l1'].item() > 0
    model.eval()
    with torch.no_grad():
        data = _batch(model, [2, 3], False)
        out = model.predict(data['inputs'], data['data_samples'])
    for sample, n in zip(out, [2, 3]):
        ious = sample.pred_instances.ious
        assert ious.shape == (n, ) and bool(((ious >= 0) & (ious <= 1)).all())


def test_joint_branch_trains_from_the_start_and_rsis_gets_ious():
    model = _model(IOU_WRSIS_CPU, iou_branch=dict(type='MaskIoUBranch', joint=True))
    data = _batch(model, [2, 1], True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert losses['loss_iou'].item() > 0 and 'iou_l1' not in losses
    rsis = _model(RSIS_CPU, iou_branch=dict(type='MaskIoUBranch', target='square'))
    rsis.bbox_head.test_cfg['stop_thr'] = 0.0  # random init: take every step
    rsis.eval()
    with torch.no_grad():
        data = _batch(rsis, [2], False)
        out = rsis.predict(data['inputs'], data['data_samples'])
    assert len(out[0].pred_instances.ious) == rsis.bbox_head.max_steps


def test_iou_loss_matches_hand_computation():
    """The target is the transformed IoU of each matched step's binarised mask."""
    model = _model(IOU_WRSIS_CPU, iou_branch=dict(type='MaskIoUBranch', joint=True,
                                                 target='iou'))
    data = _batch(model, [1], True)
    feats = model.extract_feat(data['inputs'])
    head = model.bbox_head
    tokens = pad_tokens([class_tokens(data['data_samples'][0].gt_instances.labels)],
                        feats[0].device)
    out = head(feats, tokens=tokens)
    probs = head.to_padded(out['mask_logits'],
                           [s.metainfo for s in data['data_samples']]).sigmoid()
    gt = data['data_samples'][0].gt_instances.masks.to_tensor(torch.bool, 'cpu')
    expected = (out['iou_pred'][0, 0] - mask_iou(probs[0, :1] > 0.5, gt)[0]).abs()
    losses = head.loss(feats, data['data_samples'])
    assert losses['loss_iou'].item() == pytest.approx(expected.item(), rel=1e-5)


def test_mc_dropout_only_in_training_mode():
    model = _model(IOU_WRSIS_CPU, encoder_dropout=0.5)
    model.eval()
    data = _batch(model, [2], False)

    def masks():
        with torch.no_grad():
            feats = model.extract_feat(data['inputs'])
            return model.bbox_head(feats, tokens=torch.tensor([[0, 1]]))['mask_logits']

    assert torch.equal(masks(), masks())  # eval: dropout off, deterministic
    from mmsegsup.active_learning import enable_mc_dropout
    enable_mc_dropout(model)
    assert not model.backbone.training  # only the dropout layers are switched
    torch.manual_seed(1)
    first = masks()
    assert not torch.equal(first, masks())
    with pytest.raises(ValueError, match='encoder_dropout'):
        _model(IOU_WRSIS_CPU, encoder_dropout=1.0)


class _Runner:
    def __init__(self, model, it):
        self.model, self.iter, self.epoch = model, it, 0
        self.logger = SimpleNamespace(info=lambda msg: None)


def test_freeze_really_freezes():
    """After the freeze point an optimizer step changes the IoU branch and nothing else: no
    parameter, no BatchNorm statistic."""
    model = _model(IOU_WRSIS_CPU)
    model.train()
    hook = FreezeSegmentationHook(freeze_iter=1)
    optim = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)

    def step():
        data = _batch(model, [2, 2], True)
        losses = model.loss(data['inputs'], data['data_samples'])
        optim.zero_grad()
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optim.step()
        return losses

    hook.before_train_iter(_Runner(model, 0), 0)  # before the freeze point: nothing happens
    assert not model.bbox_head.iou_only
    step()
    before = copy.deepcopy(model.state_dict())
    hook.before_train_iter(_Runner(model, 1), 1)
    assert model.bbox_head.iou_only and not model.backbone.training
    for _ in range(2):
        losses = step()
        model.train()  # as a train loop would; the hook restores the freeze every iteration
        hook.before_train_iter(_Runner(model, 2), 2)
    assert set(losses) == {'loss_iou'}
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all('iou_branch' in k for k in changed), changed


def test_freeze_hook_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        FreezeSegmentationHook()
    model = _model(RSIS_CPU)  # no IoU branch: nothing would train
    with pytest.raises(ValueError, match='IoU branch'):
        FreezeSegmentationHook(freeze_iter=0).freeze(model)
