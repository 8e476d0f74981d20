"""``FreezeSegmentationHook`` (mmsegsup/engine/hooks/freeze_segmentation_hook.py) in a real
MMEngine training run of the toy model (conftest.py): from the freeze point only the IoU branch
learns (no update, weight decay or momentum elsewhere, BatchNorm statistics kept), across
epoch boundaries and validations, and again in a resumed run. The freeze on the IoU-W-RSIS
model itself is tested in tests/test_models/test_iou_branch.py."""
import os.path as osp

import pytest
import torch
from mmengine.registry import HOOKS

IOU = {'head.iou_branch.weight', 'head.iou_branch.bias'}
SGD = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.1))


def _snapshot(runner) -> dict:
    model = runner.model
    return dict(state={k: v.detach().clone() for k, v in model.state_dict().items()},
                iou_only=model.head.iou_only,
                training={n: m.training for n, m in model.named_modules()},
                trained={n for n, p in model.named_parameters() if p.requires_grad})


def _changed(before: dict, after: dict) -> set:
    return {k for k in before if not torch.equal(before[k], after[k])}


def test_from_freeze_iter_only_the_iou_branch_learns(make_runner, toy):
    record = toy['record'](_snapshot)
    runner = make_runner(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=1),
                         optim_wrapper=SGD, default_hooks=dict(checkpoint=None),
                         custom_hooks=[dict(type='FreezeSegmentationHook', freeze_iter=1),
                                       record])
    runner.train()
    snaps = [record.values[key] for key in sorted(record.values)]
    assert len(snaps) == 6
    assert [s['iou_only'] for s in snaps] == [False] + [True] * 5
    # Iteration 0 trains everything, BatchNorm statistics included.
    first = snaps[0]
    assert _changed(first['state'], snaps[1]['state']) == set(first['state'])
    assert first['trained'] == {n for n, _ in runner.model.named_parameters()}
    assert all(first['training'].values())
    # From iteration 1 on (through the epochs' model.train() and the validations' eval()), only
    # the IoU branch moves, though SGD has momentum and weight decay for every parameter.
    states = [s['state'] for s in snaps[1:]] + [runner.model.state_dict()]
    for before, after in zip(states, states[1:]):
        assert _changed(before, after) == IOU
    for snap in snaps[1:]:
        assert snap['trained'] == IOU
        modes = snap['training']
        assert not any(modes[n] for n in ('backbone', 'backbone.1', 'head.fc_mask', 'head.fc_cls'))
        assert modes[''] and modes['head'] and modes['head.iou_branch']


@pytest.mark.parametrize('switch, iou_only', [
    (dict(freeze_epoch=1), [False, False, True, True, True, True]),
    (dict(freeze_iter=3), [False, False, False, True, True, True]),
])
def test_freeze_point_by_epoch_or_iteration(make_runner, toy, switch, iou_only):
    record = toy['record'](lambda runner: runner.model.head.iou_only)
    runner = make_runner(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=3),
                         val_dataloader=None, val_cfg=None, val_evaluator=None,
                         default_hooks=dict(checkpoint=None),
                         custom_hooks=[dict(type='FreezeSegmentationHook', **switch), record])
    runner.train()
    assert [record.values[key] for key in sorted(record.values)] == iou_only


def test_a_run_resumed_after_the_freeze_point_is_frozen_again(make_runner, toy):
    hook = dict(type='FreezeSegmentationHook', freeze_iter=1)
    first = make_runner(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
                        optim_wrapper=SGD, custom_hooks=[hook])
    first.train()
    checkpoint = osp.join(first.work_dir, 'epoch_1.pth')
    record = toy['record'](_snapshot)
    resumed = make_runner('resumed', train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
                          optim_wrapper=SGD, resume=True, load_from=checkpoint,
                          custom_hooks=[hook, record])
    resumed.train()
    assert sorted(record.values) == [(1, 2), (1, 3)]
    assert all(s['iou_only'] and s['trained'] == IOU for s in record.values.values())
    saved = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    assert _changed(saved, resumed.model.state_dict()) == IOU


def test_arguments():
    with pytest.raises(ValueError, match='exactly one'):
        HOOKS.build(dict(type='FreezeSegmentationHook', freeze_iter=1, freeze_epoch=1))
    with pytest.raises(ValueError, match='trainable'):
        HOOKS.build(dict(type='FreezeSegmentationHook', freeze_iter=1, trainable=()))
