"""RSIS training equals imatge-upc/rsis's ``train.py``, step for step (issue 26).

Each case of ``tests/data/original_refs/rsis/rsis_train_*`` was made by running the original
``runIter`` twice (two optimizer steps) on one batch of two images, with the optimizers and
criteria built by ``trainIters``'s own lines (``generate/make_rsis_train_cases.py``): Hungarian
matching on the sIoU, the early break once ``sw_mask`` runs out, padding objects, and the
class NLL / balanced stop BCE before and after they switch on. Here the thesis config
(``configs/rsis/rsis_r101_voc-sbd_256x256.py``) with only the model shape of the case (taken
from the converter's output) and the case's weights converted from the published layout, its
optimizer wrapper as MMEngine builds it from the config, and its ``LossSwitchHook`` driven as a
training drives it, run ``train_step`` twice on the batch packed as our pipeline packs it; the
loss terms, every gradient and the state after each step must equal the original's.
"""
import copy
import math
import os.path as osp
import sys
import types

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, mask2bbox
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from original_refs_utils import load_case, write_published
from tools_utils import REPO
from train_refs_utils import GradRecorder, assert_grads, assert_losses, assert_weights

sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
import rsis_to_mmsegsup  # noqa: E402

from mmsegsup.engine.hooks import LossSwitchHook  # noqa: E402
from mmsegsup.models.converters.published import map_rsis_keys  # noqa: E402
from mmsegsup.registry import HOOKS, MODELS  # noqa: E402

THESIS = osp.join(REPO, 'configs', 'rsis', 'rsis_r101_voc-sbd_256x256.py')
CASES = ['rsis_train_r101_siou', 'rsis_train_r101_cls_stop',
         'rsis_train_r34_cls_5obj_4steps_48x80', 'rsis_train_r50_k1_h16_empty_57x75']
# the training comparison of the sIoU-only ResNet-101 case (~7 s) runs with the slow tests
TRAIN_CASES = [pytest.param(CASES[0], marks=pytest.mark.slow)] + CASES[1:]
# The model fields that the published arguments decide (base, hidden size, kernel, classes,
# maxseqlen); everything else comes from the thesis config and must equal the converter's.
SHAPE_FIELDS = (('backbone', 'depth'), ('head', 'num_classes'), ('head', 'in_channels'),
                ('head', 'max_steps'), ('head.decoder', 'hidden_channels'),
                ('head.decoder', 'skip_channels'), ('head.decoder', 'kernel_size'),
                ('head.decoder', 'proj_kernel_size'), ('head.decoder', 'mask_kernel_size'))
# The original's loss terms (runIter's `losses`) -> our logged terms and the original's weight
# argument of each (ours are weighted, the original returns the unweighted terms).
TERMS = {'mask_iou': ('loss_mask', 'iou_weight'), 'class': ('loss_cls', 'class_weight'),
         'stop': ('loss_stop', 'stop_weight')}
SWITCHED = {'class': 'loss_cls', 'stop': 'loss_stop'}  # the case's `losses_on` -> our terms


def _part(cfg, path: str):
    for name in path.split('.'):
        cfg = cfg[name]
    return cfg


def build_thesis(tmp_path, meta: dict):
    """``(model, optim_wrapper, cfg)``: the thesis config's model with the case's converted
    weights, and the optimizer wrapper MMEngine builds from the config."""
    folder = write_published(str(tmp_path / 'published'), meta)
    out = str(tmp_path / 'converted')
    assert rsis_to_mmsegsup.main([folder, out]) == 0
    converted = Config.fromfile(osp.join(out, 'config.py')).model
    cfg = Config.fromfile(THESIS)
    model_cfg = copy.deepcopy(cfg.model)
    for part, field in SHAPE_FIELDS:
        _part(model_cfg, part)[field] = _part(converted, part)[field]
    # The rest of the architecture is the published one (the converter's), field by field.
    for key, value in converted.head.decoder.items():
        assert model_cfg.head.decoder[key] == value, key
    for key in ('with_bbox', 'align_corners', 'eos_class'):
        assert model_cfg.head[key] == converted.head[key], key
    assert model_cfg.backbone.type == converted.backbone.type
    model_cfg.backbone.init_cfg = None
    # The case's normalised input goes in as it is (see `batch`); the thesis preprocessor's
    # normalisation is checked separately (test_thesis_preprocessor_gives_the_original_input).
    model_cfg.data_preprocessor.update(mean=None, std=None, bgr_to_rgb=False)
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        model = MODELS.build(model_cfg)
    load_checkpoint(model, osp.join(out, 'model.pth'), strict=True)
    return model, build_optim_wrapper(model, cfg.optim_wrapper), cfg


def switch_losses(cfg, model, on) -> None:
    """The thesis config's ``LossSwitchHook`` at the case's point of the schedule: a fresh run
    before epoch 20 (sIoU only); at epoch 20 (``class_loss_after``: the class NLL switched on by
    the epoch rule); a run resumed after the plateau that switched the stop BCE on."""
    hooks = [HOOKS.build(h) for h in cfg.custom_hooks if h['type'] == 'LossSwitchHook']
    assert len(hooks) == 1
    hook: LossSwitchHook = hooks[0]
    runner = types.SimpleNamespace(model=model, iter=0, epoch=0,
                                   logger=MMLogger.get_current_instance(),
                                   message_hub=MessageHub.get_current_instance())
    wanted = {SWITCHED[t] for t in on}
    if 'loss_stop' in wanted:
        hook.after_load_checkpoint(runner, dict(meta=dict(loss_switch=dict(
            active=sorted(wanted), best=math.inf, wait=0))))
        runner.iter = 1
    hook.before_train(runner)
    if wanted == {'loss_cls'}:
        runner.epoch = next(s['epoch'] for s in hook.switches if s['loss'] == 'loss_cls')
        hook.before_train_epoch(runner)
    assert model.inactive_losses == set(SWITCHED.values()) - wanted


def batch(data) -> dict:
    """The two images as our pipeline packs them, with their objects (masks, labels 0-based:
    the original's class id minus its ``<eos>`` 0), largest first as in the targets. The
    images are the float32 input ``x`` both of the original's runs were fed (ToTensor +
    Normalize): the thesis preprocessor's normalisation of the uint8 image, ``(img - 255 mean)
    / (255 std)``, differs from torchvision's ``(img / 255 - mean) / std`` by float32 rounding
    (<= 5e-7, test_thesis_preprocessor_gives_the_original_input), which these rule-weight
    ResNets in training mode amplify to 1e-5 of the stop loss, so it is switched off here."""
    images, targets = data['in/x'], data['in/targets']
    h, w = images.shape[-2:]
    inputs, samples = [], []
    for img, tgt, n in zip(images, targets, data['in/num_objects']):
        inputs.append(torch.from_numpy(img))
        masks = tgt[:n, :-3].reshape(n, h, w).astype(np.uint8)
        sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                             scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            masks=BitmapMasks(masks, h, w),
            labels=torch.as_tensor(tgt[:n, -3] - 1, dtype=torch.long),
            bboxes=HorizontalBoxes(mask2bbox(torch.from_numpy(masks).bool()).float()))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def original_names(meta: dict) -> dict:
    """Our parameter / buffer name -> the case's key (``encoder.`` / ``decoder.`` + the
    original's), through the converter's key map (which drops the unused ``base.fc``)."""
    enc = {k: 'encoder.' + k for k in meta['encoder_state_dict']}
    dec = {k: 'decoder.' + k for k in meta['decoder_state_dict']}
    return map_rsis_keys(enc, dec)


def by_original(named, names: dict) -> dict:
    return {names[k]: v.detach().clone() for k, v in named if k in names}


def original_terms(log_vars: dict, args: dict) -> dict:
    """Our logged terms as the original returns them: unweighted by the original's weights
    (``off_*``: a term not switched on yet, logged but not optimised)."""
    out = dict(total=float(log_vars['loss']))
    for term, (name, weight) in TERMS.items():
        value = log_vars.get(name, log_vars.get(name.replace('loss', 'off', 1)))
        out[term] = float(value) / args[weight]
    return out


class CaseView:
    """The case without its ``base.fc`` entries (the ResNet's classifier, which the original
    neither uses nor optimises, checked unchanged, and the converter drops) and, for the float64
    run, without its float32 noise (so the helpers' tolerances are the fixed bounds alone)."""

    def __init__(self, data, with_noise: bool = True) -> None:
        self.data = data
        self.files = [n for n in data.files if '.base.fc.' not in n
                      and (with_noise or not n.startswith('noise/'))]

    def __getitem__(self, name):
        return self.data[name]


@pytest.fixture(autouse=True)
def one_thread():
    """The cases' float32 runs used one thread: with more, the reduction order changes, and the
    rule-weight ResNets in training mode on two images amplify that rounding to about their
    float32 noise (train_refs_utils), so both sides of a float32 comparison keep one order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_two_steps(tmp_path, meta: dict, data, dtype: torch.dtype) -> dict:
    """``train_step`` twice on the case's batch: ``initial`` state, per iteration the loss
    ``terms`` (the original's), iteration 1's ``grads`` and the ``states`` after each step,
    keyed by the original's keys. In float64 the model is doubled and the preprocessed
    (float32) input cast: ``train_step``'s own body with that cast."""
    model, optim_wrapper, cfg = build_thesis(tmp_path, meta)
    if dtype == torch.float64:
        model.double()
    switch_losses(cfg, model, meta['losses_on'])
    model.train()  # what the train loop does; encoder BN in training mode (train.py:72)
    names = original_names(meta)
    out = dict(initial=by_original(model.state_dict().items(), names), terms=[], states=[])
    recorder = GradRecorder(dict(model.named_parameters()))
    packed = batch(data)
    for _ in range(2):
        if dtype == torch.float32:
            log_vars = model.train_step(packed, optim_wrapper)
        else:
            inputs = model.data_preprocessor(packed, True)
            inputs['inputs'] = inputs['inputs'].to(dtype)
            loss, log_vars = model.parse_losses(model(**inputs, mode='loss'))
            optim_wrapper.update_params(loss)
        if 'grads' not in out:
            recorder.remove()
            out['grads'] = by_original(recorder.grads.items(), names)
        out['terms'].append(original_terms(log_vars, meta['train_args']))
        out['states'].append(by_original(model.state_dict().items(), names))
    return out


def check_fc_unchanged(data) -> None:
    """The original never updates its ResNet's unused classifier ``base.fc``."""
    for key in [n for n in data.files if n.startswith('dstat') and '.base.fc.' in n]:
        assert not data[key].any(), key


@pytest.mark.parametrize('case', TRAIN_CASES)
def test_training_equals_original(tmp_path, case):
    """float32, as it trains: each quantity within the fixed bound of train_refs_utils or 4x
    the original's own float32 deviation from its float64 run."""
    meta, data = load_case('rsis', case)
    run = run_two_steps(tmp_path, meta, data, torch.float32)
    view = CaseView(data)
    assert_grads(run['grads'], view)
    for it, (terms, state) in enumerate(zip(run['terms'], run['states']), 1):
        assert_losses(terms, data, it)
        assert_weights(state, run['initial'], view, it)
    check_fc_unchanged(data)


@pytest.mark.parametrize('case', ['rsis_train_r50_k1_h16_empty_57x75'])
def test_training_equals_original_float64(tmp_path, case):
    """float64 against the original's float64 run, without the float32 noise: equal up to the
    float32 storage of the case (grads 1e-7 relative, weights and their updates alike). The
    losses differ by mmdet's ``avg_factor + float32 eps`` in the class and stop means
    (1.2e-7 / count relative, under one float32 ulp)."""
    meta, data = load_case('rsis', case)
    torch.set_default_dtype(torch.float64)
    try:
        run = run_two_steps(tmp_path, meta, data, torch.float64)
    finally:
        torch.set_default_dtype(torch.float32)
    view = CaseView(data, with_noise=False)
    assert_grads(run['grads'], view, rel=1e-6, stat_rel=1e-5, atol=1e-12)
    for it, (terms, state) in enumerate(zip(run['terms'], run['states']), 1):
        assert_losses(terms, view, it, rel=2e-7)
        assert_weights(state, run['initial'], view, it, atol=1e-6, delta_rel=1e-5)


@pytest.mark.parametrize('case', CASES)
def test_thesis_preprocessor_gives_the_original_input(case):
    """The thesis config's data preprocessor turns the uint8 image (BGR, as LoadImageFromFile
    reads it) into the original's input (ToTensor + Normalize, train.py:33-37), unpadded."""
    _, data = load_case('rsis', case)
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        pre = MODELS.build(Config.fromfile(THESIS).model.data_preprocessor)
    images = [torch.from_numpy(np.ascontiguousarray(im[..., ::-1].transpose(2, 0, 1)))
              for im in data['in/image_uint8']]
    h, w = images[0].shape[-2:]
    samples = [DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
               for _ in images]
    out = pre(dict(inputs=images, data_samples=samples), False)
    np.testing.assert_allclose(out['inputs'].numpy(), data['in/x'], rtol=0, atol=1e-6)
