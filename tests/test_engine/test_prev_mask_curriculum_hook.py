"""``PrevMaskCurriculumHook`` (mmsegsup/engine/hooks/prev_mask_curriculum_hook.py) in real
MMEngine runs of the toy model (conftest.py; ``model.prev_mask`` records what each training
iteration's loss saw): the switch by epoch or iteration, a resumed run on the right side of
it, and ``restart_from_best``: the second stage starts from the best checkpoint's weights (not
the last), with a new optimizer state and a best score of its own. The RVOS thesis schedule on
the tiny RVOS model is tested in tests/test_configs/test_rvos_recipe.py."""
import os
import os.path as osp

import pytest
import torch
from mmengine.registry import HOOKS

NO_VAL = dict(val_dataloader=None, val_cfg=None, val_evaluator=None)
F, T = False, True


@pytest.mark.parametrize('train_cfg, switch, expected', [
    (dict(type='EpochBasedTrainLoop', max_epochs=2), dict(switch_epoch=1), [F] * 5 + [T] * 5),
    (dict(type='IterBasedTrainLoop', max_iters=5), dict(switch_iter=3), [F, F, F, T, T]),
])
def test_switches_at_the_epoch_or_iteration(make_runner, toy, train_cfg, switch, expected):
    # 10 samples: the iteration loop's 5 steps in one pass (MMEngine's infinite iterator sleeps
    # 2 s at every pass's end)
    runner = make_runner(train_cfg=train_cfg, default_hooks=dict(checkpoint=None),
                         train_dataloader=toy['loader'](10, seed=1),
                         custom_hooks=[dict(type='PrevMaskCurriculumHook', **switch)], **NO_VAL)
    runner.train()
    assert runner.model.prev_mask == expected


def test_a_resumed_run_is_on_the_right_side_of_the_switch(make_runner):
    hook = dict(type='PrevMaskCurriculumHook', switch_epoch=1)
    first = make_runner(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
                        custom_hooks=[hook], **NO_VAL)
    first.train()
    assert first.model.prev_mask == [F, F]
    checkpoint = osp.join(first.work_dir, 'epoch_1.pth')
    resumed = make_runner('resumed', train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2),
                          resume=True, load_from=checkpoint, custom_hooks=[hook], **NO_VAL)
    resumed.train()
    assert resumed.model.prev_mask == [T, T]
    # load_from without resume starts at epoch 0: ground-truth masks again
    loaded = make_runner('loaded', train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
                         load_from=checkpoint, custom_hooks=[hook], **NO_VAL)
    loaded.train()
    assert loaded.model.prev_mask == [F, F]


def _seen(runner) -> dict:
    return dict(state={k: v.detach().clone() for k, v in runner.model.state_dict().items()},
                optimizer_state=len(runner.optim_wrapper.optimizer.state),
                best=runner.message_hub.get_info('best_ckpt'))


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_restart_from_best(make_runner, toy):
    """Validation offsets 0, 100 (stage 1: epoch 1 is the best), 500, 400 (stage 2)."""
    record = toy['record'](_seen)
    runner = make_runner(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1,
                                           save_best='val_loss', rule='less')),
        custom_hooks=[dict(type='PrevMaskCurriculumHook', switch_epoch=2, restart_from_best=True),
                      toy['script']([0, 100, 500, 400]), record])
    runner.train()
    seen = record.values
    assert runner.model.prev_mask == [F] * 4 + [T] * 4
    at_switch = seen[(2, 4)]
    # the weights validated after epoch 1, not the last ones (after epoch 2)
    assert _same(at_switch['state'], seen[(1, 2)]['state'])
    last = torch.load(osp.join(runner.work_dir, 'epoch_2.pth'), map_location='cpu',
                      weights_only=False)['state_dict']
    assert not _same(at_switch['state'], last)
    # a new optimizer state (SGD's momentum) and no best yet
    assert seen[(1, 3)]['optimizer_state'] > 0 and at_switch['optimizer_state'] == 0
    assert seen[(1, 3)]['best'].endswith('best_val_loss_epoch_1.pth') and at_switch['best'] is None
    # Stage 2 keeps its own best (epoch 4's 400 beats epoch 3's 500, not stage 1's 0); stage
    # 1's best file stays.
    metrics = record.metrics
    assert runner.message_hub.get_info('best_score') == metrics[3]['val_loss'] > metrics[0][
        'val_loss']
    assert sorted(f for f in os.listdir(runner.work_dir) if f.startswith('best')) == [
        'best_val_loss_epoch_1.pth', 'best_val_loss_epoch_4.pth']


def test_restart_needs_a_first_stage_and_a_best_checkpoint(make_runner):
    for switch in (dict(switch_epoch=0), dict(switch_iter=3)):
        with pytest.raises(ValueError, match='switch_epoch > 0'):
            HOOKS.build(dict(type='PrevMaskCurriculumHook', restart_from_best=True, **switch))
    runner = make_runner(custom_hooks=[dict(type='PrevMaskCurriculumHook', switch_epoch=1,
                                            restart_from_best=True)])  # no save_best
    with pytest.raises(RuntimeError, match='save_best'):
        runner.train()
