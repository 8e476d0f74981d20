"""``LossSwitchHook`` (mmsegsup/engine/hooks/loss_switch_hook.py) in real MMEngine runs of the
toy model (conftest.py), validated by ``LossValLoop`` with scripted validation losses: which
terms are optimised in which epoch, the logged weights, the best checkpoint reloaded at a
plateau, the state saved in and resumed from checkpoints (not taken over by ``load_from``), the
'greater' rule with ``min_delta``, validations outside training. The thesis RSIS schedule
(patience 15 / 60, early stopping) is tested in tests/test_configs/test_rsis_recipe.py."""
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.registry import HOOKS

from mmsegsup.engine.hooks import LossSwitchHook

# loss_cls at the start of epoch 1 only (no plateau rule), loss_iou on a plateau only
SWITCHES = [dict(loss='loss_cls', epoch=1, plateau=False), dict(loss='loss_iou')]


def _hook(runner) -> LossSwitchHook:
    (hook, ) = [h for h in runner.hooks if isinstance(h, LossSwitchHook)]
    return hook


def _seen(runner) -> dict:
    """What an iteration trains with: the model's muted terms, the logged weights, weights."""
    hub = runner.message_hub
    return dict(inactive=set(runner.model.inactive_losses),
                weights=tuple(hub.get_scalar(f'train/weight_{k}').current()
                              for k in ('cls', 'iou')),
                state={k: v.detach().clone() for k, v in runner.model.state_dict().items()})


def _by_epoch(record) -> dict:
    out: dict = {}
    for (epoch, _), seen in sorted(record.values.items()):
        out.setdefault(epoch, []).append(seen)
    return out


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_epoch_and_plateau_switches_in_a_training_run(make_runner, toy):
    """Validation offsets 0, 100, 200, 300 with patience 0: loss_cls joins at epoch 1; the
    validation after epoch 2 is a plateau, so the best checkpoint (validated after epoch 1)
    comes back and loss_iou joins for epoch 3."""
    record = toy['record'](_seen)
    runner = make_runner(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=1),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[dict(type='LossSwitchHook', switches=SWITCHES, patience=0, head='head'),
                      toy['script']([0, 100, 200, 300]), record])
    runner.train()
    epochs = _by_epoch(record)
    assert [e[0]['inactive'] for e in epochs.values()] == [
        {'loss_cls', 'loss_iou'}, {'loss_iou'}, {'loss_iou'}, set()]
    # 'weight_cls' is the head's loss_cls.loss_weight, 'weight_iou' 1 (no loss module)
    assert [e[0]['weights'] for e in epochs.values()] == [(0.0, 0.0), (0.1, 0.0), (0.1, 0.0),
                                                         (0.1, 1.0)]
    metrics = record.metrics
    assert {'off_cls', 'off_iou'} <= set(metrics[0]) and 'loss_cls' not in metrics[0]
    assert metrics[0]['val_loss'] == pytest.approx(metrics[0]['loss_mask'])
    assert {'loss_cls', 'loss_iou'} <= set(metrics[3])
    # Epoch 3 starts from the weights validated after epoch 1, not from epoch 2's training.
    assert not _same(epochs[2][0]['state'], epochs[2][1]['state'])
    assert _same(epochs[3][0]['state'], epochs[2][0]['state'])
    hook = _hook(runner)
    assert hook.active == {'loss_cls', 'loss_iou'} and hook.wait == 0
    assert hook.best == pytest.approx(metrics[3]['val_loss'], rel=1e-6)
    assert osp.isfile(osp.join(runner.work_dir, 'best_val_loss.pth'))


def test_state_resumes_with_the_checkpoint_not_with_load_from(make_runner, toy):
    """A checkpoint is written at the end of a training epoch, before that epoch's validation:
    epoch_4.pth holds the state after the first three validations (offsets 300; loss_cls on;
    100, the best; 200, one without improvement)."""
    hook = dict(type='LossSwitchHook', switches=SWITCHES, patience=5, head='head')
    first_record = toy['record']()
    first = make_runner(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=1),
                        custom_hooks=[hook, toy['script']([300, 100, 200, 250]), first_record])
    first.train()
    checkpoint = osp.join(first.work_dir, 'epoch_4.pth')
    saved = torch.load(checkpoint, map_location='cpu', weights_only=False)['meta']['loss_switch']
    assert saved['active'] == ['loss_cls'] and saved['wait'] == 1
    assert saved['best'] == pytest.approx(first_record.metrics[1]['val_loss'], rel=1e-6)

    record = toy['record'](_seen)
    resumed = make_runner('resumed', resume=True, load_from=checkpoint,
                          train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=5),
                          custom_hooks=[hook, toy['script']([150]), record])
    resumed.train()
    assert [(s['inactive'], s['weights']) for s in record.values.values()] == [
        ({'loss_iou'}, (0.1, 0.0))] * 2
    state = _hook(resumed).state_dict()
    assert (state['active'], state['best'], state['wait']) == (['loss_cls'], saved['best'], 2)

    record = toy['record'](_seen)
    fresh = make_runner('fresh', load_from=checkpoint,
                        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
                        custom_hooks=[hook, toy['script']([150]), record])
    fresh.train()
    assert [s['inactive'] for s in record.values.values()] == [{'loss_cls', 'loss_iou'}] * 2
    state = _hook(fresh).state_dict()
    assert state['active'] == [] and state['wait'] == 0
    assert state['best'] == pytest.approx(record.metrics[0]['val_loss'], rel=1e-6)


def test_rule_greater_with_min_delta(make_runner):
    """An improvement is ``value > best + min_delta``; after more than ``patience`` validations
    without one, the best checkpoint is reloaded and the pending term switches on."""
    runner = make_runner(custom_hooks=[dict(
        type='LossSwitchHook', switches=[dict(loss='loss_iou')], monitor='acc', rule='greater',
        min_delta=0.5, patience=1, head='head')])
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    hook = _hook(runner)
    hook.before_train(runner)
    weight = runner.model.head.fc_mask.weight
    best, wait, inactive = [], [], []
    for value in (1.0, 1.4, 1.6, 2.0, 0.0):
        with torch.no_grad():
            weight.add_(1.0)  # "training" between validations
        at_validation = weight.detach().clone()
        hook.after_val_epoch(runner, metrics={'acc': value, 'val_loss': 0.0})
        best.append(hook.best)
        wait.append(hook.wait)
        inactive.append(set(runner.model.inactive_losses))
        if value == 1.6:
            best_weight = at_validation
    assert best == pytest.approx([1.0, 1.0, 1.6, 1.6, -math.inf], rel=1e-6)
    assert wait == [0, 1, 0, 1, 0]
    assert inactive == [{'loss_iou'}] * 4 + [set()]
    assert torch.equal(weight.detach(), best_weight)


def test_a_validation_outside_training_changes_nothing(make_runner):
    runner = make_runner(custom_hooks=[dict(type='LossSwitchHook', switches=[dict(loss='loss_iou')],
                                            patience=0, head='head')])
    hook = _hook(runner)
    for _ in range(2):  # would be a plateau in training
        runner.val()
    assert hook.state_dict() == dict(active=[], best=math.inf, wait=0)
    assert not any(f.startswith('best') for f in os.listdir(runner.work_dir))
    runner.train()
    state = hook.state_dict()
    runner.model.val_offset = -100.0  # would be an improvement in training
    runner.val()
    runner.model.val_offset = 100.0
    runner.val()
    assert hook.state_dict() == state


def test_misuse_is_reported(make_runner):
    for kwargs, match in ((dict(switches=[dict(loss='loss_cls'), dict(loss='loss_cls')]), 'twice'),
                          (dict(switches=[dict(epoch=1)]), 'switch is dict'),
                          (dict(rule='max'), 'rule')):
        with pytest.raises(ValueError, match=match):
            HOOKS.build(dict(type='LossSwitchHook', **kwargs))
    runner = make_runner(custom_hooks=[dict(type='LossSwitchHook')])
    del runner.model.inactive_losses  # a model that cannot mute loss terms
    with pytest.raises(TypeError, match='inactive_losses'):
        runner.train()
    runner = make_runner('missing', custom_hooks=[dict(type='LossSwitchHook', patience=0,
                                                       switches=[dict(loss='loss_iou')])])
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    hook = _hook(runner)
    hook.before_train(runner)
    hook.after_val_epoch(runner, metrics={'val_loss': 1.0})
    os.remove(osp.join(runner.work_dir, 'best_val_loss.pth'))
    with pytest.raises(FileNotFoundError, match='best checkpoint'):
        hook.after_val_epoch(runner, metrics={'val_loss': 2.0})

