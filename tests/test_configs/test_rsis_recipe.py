"""The thesis RSIS config trains with imatge-upc/rsis's recipe (issue 13, item 5).

Read from the built runner / hooks / head of configs/rsis/rsis_r101_voc-sbd_256x256.py: the
loss weights and the balanced stop BCE, the loss switches (class NLL at epoch 20 or on a
plateau, stop BCE on a plateau with the best checkpoint reloaded), early stopping by patience,
the two Adam groups, batch and input size. The schedule is driven with made-up validation
losses on the tiny CPU model, and one short real training through tools/train.py shows the
switches in the logged loss weights.
"""
import copy
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.runner import EpochBasedTrainLoop, Runner
from PIL import Image
from torch.utils.data import DataLoader

from mmsegsup.engine.hooks import LossSwitchHook
from mmsegsup.models.losses import BalancedBCELoss, balanced_bce
from mmsegsup.registry import HOOKS, TRANSFORMS
from tools_utils import CPU_CONFIG, REPO, run, tiny_config

THESIS = osp.join(REPO, 'configs/rsis/rsis_r101_voc-sbd_256x256.py')


@pytest.fixture(scope='module')
def thesis_cfg() -> Config:
    return Config.fromfile(THESIS)


@pytest.fixture(scope='module')
def thesis_runner(thesis_cfg, tmp_path_factory) -> Runner:
    cfg = copy.deepcopy(thesis_cfg)
    cfg.work_dir = str(tmp_path_factory.mktemp('thesis'))
    cfg.visualizer.name = cfg.work_dir  # MMEngine keeps visualizers by name, process-wide
    cfg.model.backbone.init_cfg = None  # building needs no ImageNet weights
    return Runner.from_cfg(cfg)


def _switch_hook(runner: Runner) -> LossSwitchHook:
    hooks = [h for h in runner.hooks if isinstance(h, LossSwitchHook)]
    assert len(hooks) == 1
    return hooks[0]


# ---------------------------------------------------------------- the thesis config, built

def test_thesis_head_loss_weights_and_balanced_stop_bce(thesis_runner):
    model = thesis_runner.model
    head = model.bbox_head
    assert head.loss_mask.loss_weight == 1.0  # iou_weight, args.py:91
    assert head.loss_cls.loss_weight == 0.1 and not head.loss_cls.use_sigmoid  # args.py:90
    assert isinstance(head.loss_stop, BalancedBCELoss)
    assert head.loss_stop.loss_weight == 0.5 and head.loss_stop.balance_weight == 0.5  # :92-93
    assert model.inactive_losses == set()  # the hook sets them in training
    assert not model.backbone.norm_eval  # encoder.train(True), train.py:72


def test_thesis_loss_schedule_and_early_stopping(thesis_runner, thesis_cfg):
    hook = _switch_hook(thesis_runner)
    assert hook.switches == [dict(loss='loss_cls', epoch=20, plateau=True),
                             dict(loss='loss_stop', epoch=3000, plateau=True)]
    assert (hook.monitor, hook.rule, hook.min_delta) == ('val_loss', 'less', 0.0)
    assert (hook.patience, hook.patience_stop) == (15, 60)
    names = [type(h).__name__ for h in thesis_runner.hooks]
    assert 'EarlyStoppingHook' not in names  # the switch hook's counter does it
    assert thesis_cfg.train_cfg == dict(type='EpochBasedTrainLoop', max_epochs=4000,
                                        val_interval=1)
    assert thesis_cfg.param_scheduler is None  # constant learning rates
    # Validation by the training losses (their sum is the monitored val_loss); COCO at test.
    assert thesis_cfg.val_cfg.type == 'LossValLoop' and thesis_cfg.val_evaluator == []
    assert thesis_cfg.test_evaluator.type == 'CocoMetric'
    assert thesis_cfg.model_wrapper_cfg.find_unused_parameters  # switched-off branches


def test_thesis_optimizer_groups(thesis_runner, thesis_cfg):
    optim = thesis_runner.build_optim_wrapper(copy.deepcopy(thesis_cfg.optim_wrapper))
    assert isinstance(optim.optimizer, torch.optim.Adam)
    assert optim.clip_grad_kwargs is None and not hasattr(optim, 'clip_func')  # train.py:183-187
    groups = {id(p): g for g in optim.optimizer.param_groups for p in g['params']}
    named = list(thesis_runner.model.named_parameters())
    assert len(groups) == len(named)
    for name, param in named:
        group = groups[id(param)]
        expected_lr = 1e-6 if name.startswith('backbone.') else 1e-3  # lr_cnn / lr
        assert group['lr'] == pytest.approx(expected_lr, rel=1e-9), name
        assert group['weight_decay'] == pytest.approx(1e-6, rel=1e-9), name
    # The skip projections learn with the decoder (their params are in dec_opt, train.py:238).
    assert any(n.startswith('bbox_head.decoder.projections') for n, _ in named)


def _fake_sample(tmp_path) -> dict:
    """A 100 x 150 image with two polygon instances, as a data info of the dataset."""
    path = str(tmp_path / 'img.jpg')
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (100, 150, 3), dtype=np.uint8)).save(path)
    poly = [[10, 10, 60, 10, 60, 50, 10, 50]]
    poly2 = [[80, 20, 140, 20, 140, 90, 80, 90]]
    instances = [dict(bbox=[10, 10, 60, 50], bbox_label=3, mask=poly, ignore_flag=0),
                 dict(bbox=[80, 20, 140, 90], bbox_label=7, mask=poly2, ignore_flag=0)]
    return dict(img_path=path, img_id=0, height=100, width=150, instances=instances)


def _run_pipeline(pipeline, info: dict) -> dict:
    results = copy.deepcopy(info)
    for step in pipeline:
        results = TRANSFORMS.build(step)(results)
    return results


def test_thesis_batch_input_size_no_augmentation(thesis_cfg, tmp_path):
    loader = thesis_cfg.train_dataloader
    assert loader.batch_size * 4 == 60  # 4 GPUs, thesis sec. 4.7
    assert loader.drop_last and loader.sampler.shuffle and loader.batch_sampler is None
    info = _fake_sample(tmp_path)
    train = [_run_pipeline(loader.dataset.pipeline, info) for _ in range(6)]
    for out in train:
        assert tuple(out['inputs'].shape) == (3, 256, 256)
        assert out['data_samples'].gt_instances.masks.masks.shape == (2, 256, 256)
        # No flip or other random augmentation: every draw is the same.
        assert torch.equal(out['inputs'], train[0]['inputs'])
    # The validation loss needs the masks at the input size.
    val = _run_pipeline(thesis_cfg.val_dataloader.dataset.pipeline, info)
    assert tuple(val['inputs'].shape) == (3, 256, 256)
    assert val['data_samples'].gt_instances.masks.masks.shape == (2, 256, 256)
    assert val['data_samples'].ori_shape == (100, 150)


def test_wrsis_keeps_early_stopping_without_switches():
    cfg = Config.fromfile(osp.join(REPO, 'configs/basis/wrsis_r101_voc-sbd_256x256.py'))
    hook = HOOKS.build(cfg.custom_hooks[0])
    assert isinstance(hook, LossSwitchHook) and hook.switches == []
    assert hook.patience_stop == 60 and cfg.val_cfg.type == 'LossValLoop'
    order = [t['type'] for t in cfg.val_dataloader.dataset.pipeline]
    assert order.index('LoadAnnotations') < order.index('Resize')
    assert not cfg.test_dataloader.drop_last and cfg.test_evaluator.type == 'CocoMetric'


# ------------------------------------------------------------- the balanced stop BCE

def _original_balanced_bce(target, out, balance_weight=None):
    """src/utils/hungarian.py:34-59, StableBalancedMaskedBCE, transcribed."""
    if balance_weight is None:
        num_positive = target.sum()
        num_negative = (1 - target).sum()
        balance_weight = num_positive / (num_positive + num_negative)
    max_val = (-out).clamp(min=0)
    loss_values = out - out * target + max_val + ((-max_val).exp() + (-out - max_val).exp()).log()
    return (1 - balance_weight) * loss_values * target + balance_weight * loss_values * (1 - target)


def test_balanced_bce_is_the_originals():
    g = torch.Generator().manual_seed(0)
    out = torch.randn(4, 6, generator=g) * 3
    target = (torch.rand(4, 6, generator=g) < 0.3).float()
    for w in (0.5, 0.2, None):
        torch.testing.assert_close(balanced_bce(out, target, w),
                                   _original_balanced_bce(target, out, w))
    # The default 0.5 is half the plain BCE.
    torch.testing.assert_close(balanced_bce(out, target, 0.5),
                               0.5 * F.binary_cross_entropy_with_logits(out, target,
                                                                        reduction='none'))
    weight = (torch.rand(4, 6, generator=g) < 0.7).float()
    loss = BalancedBCELoss(balance_weight=None, loss_weight=0.5)(out, target, weight=weight,
                                                                  avg_factor=weight.sum())
    expected = 0.5 * (_original_balanced_bce(target, out) * weight).sum() / weight.sum()
    torch.testing.assert_close(loss, expected)
    with pytest.raises(ValueError, match='balance_weight'):
        BalancedBCELoss(balance_weight=1.5)


# ------------------------------------------------ the schedule, driven on a tiny model

@pytest.fixture()
def tiny_runner(thesis_cfg, tmp_path) -> Runner:
    """The CPU model with the thesis's losses, hook and optimizer groups; epochs are set by
    hand on an epoch loop over a dummy loader (no data is read)."""
    cfg = Config.fromfile(CPU_CONFIG)
    for key in ('loss_mask', 'loss_cls', 'loss_stop'):
        cfg.model.head[key] = copy.deepcopy(thesis_cfg.model.head[key])
    cfg.custom_hooks = copy.deepcopy(thesis_cfg.custom_hooks)
    cfg.param_scheduler = None
    cfg.work_dir = str(tmp_path / 'work')
    cfg.visualizer.name = cfg.work_dir  # MMEngine keeps visualizers by name, process-wide
    runner = Runner.from_cfg(cfg)
    runner._train_loop = EpochBasedTrainLoop(runner, DataLoader([0]), max_epochs=4000)
    runner.optim_wrapper = runner.build_optim_wrapper(copy.deepcopy(thesis_cfg.optim_wrapper))
    return runner


class Driver:
    """Epochs of the runner's loop with the switch hook's calls and made-up val losses."""

    def __init__(self, runner: Runner):
        self.runner = runner
        self.hook = _switch_hook(runner)
        self.loop = runner.train_loop
        self.hook.before_train(runner)

    def epoch(self, val_loss: float) -> dict:
        """Start the next epoch, one iteration, validate; the weights logged in it."""
        self.hook.before_train_epoch(self.runner)
        self.hook.before_train_iter(self.runner, 0)
        hub = self.runner.message_hub
        weights = {k: hub.get_scalar(f'train/weight_{k}').current() for k in ('cls', 'stop')}
        self.loop._epoch += 1
        self.loop._iter += 1
        self.hook.after_val_epoch(self.runner, metrics={'val_loss': val_loss, 'coco/x': 0.1})
        return weights


def _step(runner: Runner) -> None:
    """One real optimizer step on the head's stop branch (so Adam has state)."""
    head = runner.model.bbox_head
    runner.optim_wrapper.update_params(head.fc_stop.weight.square().sum())


def test_class_on_at_epoch_20_stop_on_plateau_then_early_stop(tiny_runner):
    d = Driver(tiny_runner)
    model = tiny_runner.model
    assert model.inactive_losses == {'loss_cls', 'loss_stop'}
    for e in range(20):  # improving validation losses
        assert d.epoch(10.0 - 0.1 * e) == dict(cls=0.0, stop=0.0)
    assert d.hook.wait == 0 and model.inactive_losses == {'loss_cls', 'loss_stop'}
    # Epoch 20: the class NLL joins at 0.1; the best is reset, so a higher loss still counts.
    assert d.epoch(50.0) == dict(cls=0.1, stop=0.0)
    assert model.inactive_losses == {'loss_stop'} and d.hook.best == 50.0
    best_file = osp.join(tiny_runner.work_dir, 'best_val_loss.pth')
    _step(tiny_runner)
    d.epoch(40.0)  # improves: saved as the best (with Adam's state)
    saved = torch.load(best_file, map_location='cpu')
    best_weight = model.bbox_head.fc_stop.weight.detach().clone()
    for _ in range(15):  # equal is no improvement (value < best - min_delta)
        assert d.epoch(40.0) == dict(cls=0.1, stop=0.0)
        _step(tiny_runner)
    assert d.hook.wait == 15 and model.inactive_losses == {'loss_stop'}
    assert not torch.equal(model.bbox_head.fc_stop.weight, best_weight)
    # The 16th validation without improvement: more than patience 15, so the stop BCE joins,
    # and the best checkpoint (model and optimizer) comes back first.
    d.epoch(45.0)
    assert model.inactive_losses == set() and d.hook.wait == 0
    torch.testing.assert_close(model.bbox_head.fc_stop.weight.detach(), best_weight)
    steps = [float(s['step']) for s in tiny_runner.optim_wrapper.state_dict()['state'].values()]
    assert steps == [float(s['step']) for s in saved['optimizer']['state'].values()] == [1.0]
    assert d.epoch(99.0) == dict(cls=0.1, stop=0.5)  # the first after a reset improves
    for _ in range(60):
        d.epoch(99.0)
        assert not tiny_runner.train_loop.stop_training
    d.epoch(99.0)  # the 61st: more than patience_stop 60
    assert tiny_runner.train_loop.stop_training


def test_class_on_by_plateau_before_epoch_20(tiny_runner):
    d = Driver(tiny_runner)
    d.epoch(1.0)
    for _ in range(15):
        d.epoch(1.0)
    assert tiny_runner.model.inactive_losses == {'loss_cls', 'loss_stop'}
    d.epoch(1.0)  # epoch 16 < 20, 16 validations without improvement
    assert tiny_runner.model.inactive_losses == {'loss_stop'}
    assert tiny_runner.epoch == 17 and d.hook.wait == 0
    for i in range(4):  # through epoch 20: nothing else switches
        assert d.epoch(2.0 - 0.1 * i) == dict(cls=0.1, stop=0.0)


def test_state_resumes_with_the_run_not_with_load_from(tiny_runner, thesis_cfg):
    d = Driver(tiny_runner)
    for _ in range(21):  # class on by plateau at epoch 16, then 3 more without improvement
        d.epoch(1.0)
    ckpt = dict(meta={})
    d.hook.before_save_checkpoint(tiny_runner, ckpt)
    assert ckpt['meta']['loss_switch'] == dict(active=['loss_cls'], best=1.0, wait=3)
    fresh = HOOKS.build(copy.deepcopy(thesis_cfg.custom_hooks[0]))
    fresh.after_load_checkpoint(tiny_runner, ckpt)
    fresh.before_train(tiny_runner)  # iter > 0: a resumed run
    assert fresh.active == {'loss_cls'} and tiny_runner.model.inactive_losses == {'loss_stop'}
    tiny_runner.train_loop._iter = 0  # load_from: the run starts afresh
    fresh.before_train(tiny_runner)
    assert fresh.active == set() and fresh.best == float('inf')
    assert tiny_runner.model.inactive_losses == {'loss_cls', 'loss_stop'}


def test_inactive_terms_are_logged_not_optimised(tiny_runner):
    model = tiny_runner.model
    model.inactive_losses = {'loss_cls'}
    packed = demo_mm_inputs(batch_size=2, image_shapes=(3, 60, 60), num_items=[2, 1],
                            num_classes=3, with_mask=True)
    losses = model(**model.data_preprocessor(packed, True), mode='loss')
    assert 'loss_cls' not in losses and not losses['off_cls'].requires_grad
    total, logs = model.parse_losses(losses)
    assert float(logs['off_cls']) > 0
    assert float(total) == pytest.approx(sum(float(v) for k, v in losses.items() if 'loss' in k))
    total.backward()
    assert model.bbox_head.fc_cls.weight.grad is None
    assert model.bbox_head.fc_stop.weight.grad is not None
    # A validation by losses runs in eval mode, where the preprocessor does not pad the masks
    # (60 -> 64 here): the model does.
    model.eval()
    with torch.no_grad():
        val = model(**model.data_preprocessor(packed, False), mode='loss')
    assert set(val) == set(losses)


def test_hook_needs_the_monitored_loss_and_well_formed_switches(tiny_runner):
    hook = _switch_hook(tiny_runner)
    hook.before_train(tiny_runner)
    with pytest.raises(KeyError, match='LossValLoop'):
        hook.after_val_epoch(tiny_runner, metrics={'coco/segm_mAP': 0.1})
    with pytest.raises(ValueError, match='switch'):
        LossSwitchHook(switches=[dict(loss='loss_cls', after=3)])


# ------------------------------------------------------- a real (tiny) training run

def _scalars(work: str) -> list:
    (path, ) = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_tools_train_switches_the_logged_loss_weights(tmp_path):
    # A visualizer of its own: one made earlier in this process under the default name would
    # be reused, with its save dir.
    extra = f"""
visualizer = dict(name={str(tmp_path)!r})
val_cfg = dict(_delete_=True, type='LossValLoop')
val_evaluator = []
model = dict(head=dict(
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=0.1),
    loss_stop=dict(_delete_=True, type='BalancedBCELoss', balance_weight=0.5, loss_weight=0.5)))
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=6, val_interval=1)
param_scheduler = None
# The class NLL joins at epoch 1; every validation but the first after a switch is a plateau
# (min_delta is huge), so the stop BCE joins after epoch 3's validation and the run stops
# after epoch 5's, one epoch before max_epochs.
custom_hooks = [dict(type='LossSwitchHook',
                     switches=[dict(loss='loss_cls', epoch=1), dict(loss='loss_stop')],
                     patience=0, patience_stop=0, min_delta=1e9)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1000))
log_processor = dict(by_epoch=True, window_size=1)
"""
    cfg = tiny_config(tmp_path, extra=extra)
    work = str(tmp_path / 'work')
    proc = run(['tools/train.py', cfg, '--work-dir', work])
    text = proc.stdout + proc.stderr
    logs = _scalars(work)
    train = [r for r in logs if 'lr' in r]
    val = [r for r in logs if 'val_loss' in r]
    by_epoch = {}
    for r in train:
        by_epoch.setdefault(r['epoch'], []).append(r)
    assert sorted(by_epoch) == [1, 2, 3, 4, 5] and len(val) == 5  # stopped early
    for epoch, rows in by_epoch.items():
        assert {r['weight_cls'] for r in rows} == {0.0 if epoch == 1 else 0.1}
        assert {r['weight_stop'] for r in rows} == {0.5 if epoch >= 4 else 0.0}
        cls_key, stop_key = ('off_cls' if epoch == 1 else 'loss_cls',
                             'loss_stop' if epoch >= 4 else 'off_stop')
        assert all(cls_key in r and stop_key in r for r in rows), (epoch, rows[0])
        assert all(r['loss'] == pytest.approx(sum(v for k, v in r.items()
                                                  if k.startswith('loss_')), abs=2e-4)
                   for r in rows)
    for epoch, r in enumerate(val, start=1):  # validation by the losses, muted ones apart
        assert ('loss_cls' in r) == (epoch >= 2) and ('loss_stop' in r) == (epoch >= 4)
        assert r['val_loss'] == pytest.approx(sum(v for k, v in r.items()
                                                  if k.startswith('loss_')), abs=2e-4)
    assert 'loss_cls switched on (epoch 1 >= 1)' in text
    assert 'loss_stop switched on' in text and 'reloaded' in text and 'stop training' in text
    assert osp.isfile(osp.join(work, 'best_val_loss.pth'))


VARIANT = osp.join(REPO, 'configs/rsis/rsis_r101_voc-sbd_256x256_mmsegsup-decoder.py')


def test_converted_model_is_the_thesis_model_with_the_published_arguments(thesis_cfg):
    """The converter's model is the thesis config's with only what args.pkl and eval.py's
    command line decide changed (and no ImageNet init, BN in eval mode): for the original's
    default arguments (R101, hidden 128, k 3, 21 classes, maxseqlen 10, eval.py's thresholds)
    nothing else."""
    from types import SimpleNamespace

    from mmsegsup.models.converters import rsis_model_cfg
    expected = copy.deepcopy(thesis_cfg.model)
    expected.backbone.update(init_cfg=None, norm_eval=True)
    assert rsis_model_cfg(SimpleNamespace()) == expected.to_dict()
    expected.backbone.depth = 34
    expected.head.update(in_channels=[64, 64, 128, 256, 512], num_classes=9, max_steps=4)
    expected.head.decoder.update(hidden_channels=(32, 16, 8, 4, 2),
                                 skip_channels=(32, 32, 16, 8, 4), kernel_size=1,
                                 proj_kernel_size=1, mask_kernel_size=1)
    expected.test_cfg.update(stop_thr=0.3, mask_thr=0.4, min_size=0.01)
    args = SimpleNamespace(base_model='resnet34', hidden_size=32, kernel_size=1, num_classes=9,
                           maxseqlen=7)
    assert rsis_model_cfg(args, maxseqlen=4, stop_thr=0.3, mask_thr=0.4,
                          min_size=0.01) == expected.to_dict()


def test_variant_is_the_thesis_recipe_with_our_head(thesis_cfg):
    """The variant config is the thesis recipe with our head (box branch, 20 classes, the
    first-stop rule)."""
    model = thesis_cfg.model
    variant = Config.fromfile(VARIANT)
    assert variant.model.backbone.type == 'ResNet' and variant.model.head.with_bbox
    assert variant.model.head.num_classes == 20 and variant.model.test_cfg.rule == 'first_stop'
    for key in ('optim_wrapper', 'train_dataloader', 'custom_hooks', 'train_cfg'):
        assert variant[key] == thesis_cfg[key], key
    assert variant.model.head.loss_cls == model.head.loss_cls


def test_eos_class_trains_labels_shifted_and_predicts_without_it():
    """eos_class: class 0 is <eos>, never a target; object label k trains as class k + 1
    (pascal.py's 1..20) and the first-stop rule reads classes 1..C-1."""
    from types import SimpleNamespace

    from mmsegsup.models.converters import rsis_model_cfg
    from mmsegsup.registry import MODELS
    torch.manual_seed(0)
    cfg = rsis_model_cfg(SimpleNamespace(base_model='resnet34', hidden_size=16, num_classes=4))
    cfg['backbone']['init_cfg'] = None
    model = MODELS.build(cfg)
    model.init_weights()
    packed = demo_mm_inputs(batch_size=2, image_shapes=(3, 64, 64), num_items=[2, 1],
                            num_classes=3, with_mask=True)
    data = model.data_preprocessor(packed, True)
    head = model.bbox_head
    targets = []
    head.loss_cls.register_forward_hook(lambda m, args, out: targets.append(args[1].clone()))
    model(**data, mode='loss')
    labels = sorted(torch.cat([s.gt_instances.labels for s in data['data_samples']]).tolist())
    assert sorted(targets[0].tolist()) == [k + 1 for k in labels]
    with pytest.raises(ValueError, match='eos_class'):
        MODELS.build(dict(cfg, head=dict(cfg['head'], eos_class=False)))
