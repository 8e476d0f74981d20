"""``LossValLoop`` (mmsegsup/engine/loops.py): validation by the training losses.

Run by a real MMEngine ``Runner`` on the toy model of conftest.py: the metrics it reports
(each loss averaged over the validation batches, ``val_loss`` their sum), how it runs the model
(eval mode, no gradient, the preprocessor's ``training=False``, no update), and how
``CheckpointHook(save_best='val_loss')`` selects with them. The recipes that use it are
tested in tests/test_configs/test_rvos_recipe.py and test_rsis_recipe.py.
"""
import copy
import os
import os.path as osp

import pytest
import torch


def _weights(runner) -> dict:
    return {k: v.detach().clone() for k, v in runner.model.state_dict().items()}


def test_reports_the_batch_mean_of_each_loss_and_their_sum(make_runner, toy):
    record = toy['record']()
    runner = make_runner(custom_hooks=[record])
    model = runner.model
    model.val_offset = 10.0  # added to loss_mask in eval mode only
    model.inactive_losses = {'loss_cls'}  # logged as off_cls: reported, not in the total
    reference = copy.deepcopy(model).eval()
    data = toy['data'](3, seed=2)  # the validation set: batches of 2 and 1
    with torch.no_grad():
        batches = [reference(data.x[i:j], data.y[i:j], mode='loss') for i, j in ((0, 2), (2, 3))]
        one_batch = reference(data.x, data.y, mode='loss')
    before = _weights(runner)

    metrics = runner.val()

    expected = {k: (float(batches[0][k]) + float(batches[1][k])) / 2 for k in batches[0]}
    assert set(metrics) == {'loss_iou', 'loss_mask', 'off_cls', 'val_loss'}
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, rel=1e-6), key
    assert metrics['val_loss'] == pytest.approx(expected['loss_iou'] + expected['loss_mask'],
                                                rel=1e-6)
    # A mean over batches (1/2, 1/2), not over samples (2/3, 1/3).
    assert abs(float(one_batch['loss_mask']) - metrics['loss_mask']) > 1e-3
    # Eval mode (the offset, and BatchNorm's running statistics), no gradient, no update.
    assert metrics['loss_mask'] > 10
    assert model.data_preprocessor.calls == [False, False]
    assert model.grad_enabled == [False, False]
    after = _weights(runner)
    assert all(torch.equal(before[k], after[k]) for k in before)
    # The hooks see every batch; the outputs carry no predictions.
    assert record.val_iters == [('before', 0), ('after', 0, []), ('before', 1), ('after', 1, [])]


@pytest.mark.parametrize('rule, best_epoch', [('less', 2), ('greater', 1)])
def test_checkpoint_hook_keeps_the_best_val_loss(make_runner, toy, rule, best_epoch):
    """The validation losses are scripted (offsets 300, 0, 200, 100 over four epochs): 'less'
    keeps epoch 2, 'greater' epoch 1, as one file holding the weights of that epoch."""
    record = toy['record'](_weights)
    runner = make_runner(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=1),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=100,
                                           save_best='val_loss', rule=rule)),
        custom_hooks=[toy['script']([300, 0, 200, 100]), record])
    runner.train()
    losses = [m['val_loss'] for m in record.metrics]
    assert len(losses) == 4 and losses[1] < losses[3] < losses[2] < losses[0]
    best = runner.message_hub.get_info('best_ckpt')
    name = f'best_val_loss_epoch_{best_epoch}.pth'
    assert osp.basename(best) == name
    assert [f for f in os.listdir(runner.work_dir) if f.startswith('best')] == [name]
    assert runner.message_hub.get_info('best_score') == losses[best_epoch - 1]
    saved = torch.load(best, map_location='cpu', weights_only=False)
    assert saved['meta']['epoch'] == best_epoch
    # the weights validated after epoch ``best_epoch``: those the next epoch starts from
    trained = record.values[(best_epoch, 2 * best_epoch)]
    assert all(torch.equal(saved['state_dict'][k], v) for k, v in trained.items())
