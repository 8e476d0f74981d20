"""RefVOS training equals miriambellver/refvos's ``train.py``, step for step (issue 26).

Each case of ``tests/data/original_refs/refvos/refvos_train_*`` was made by running the
original ``train_one_epoch`` over a data loader of two collated batches (two optimizer steps),
with the model, BERT (eval mode, as ``from_pretrained`` leaves it), the SGD optimizer and its
parameter groups (backbone, classifier, BERT encoder layers 0-9, pooler) and the poly
``LambdaLR`` built by ``main()``'s own lines (``generate/make_refvos_train_cases.py``). Here the
thesis config (``configs/refvos/refvos_r101_refcoco-480x480.py``) with only the BERT
architecture (from the converter's output) and the crop of the case changed, the case's
weights converted from the published layout, is trained by MMEngine's ``Runner`` for one epoch
of the case's two batches, packed as our pipeline packs them: its optimizer wrapper and its
iteration-based poly LR are built and stepped by the runner from the config. The loss, every
gradient, the state after each step (BERT's fixed embeddings and later layers included), the
learning rate of each step and the dropout draws must equal the original's.

In float64, against the original's float64 run: in float32 the original cannot reproduce
itself (train-mode BatchNorm over a batch of 2 amplifies rounding ~100x; its float32 run is
percents away from its float64 one on gradients and updates, tens of percents on a few
tensors after step 2: the cases' ``noise/``), so only float64 can tell an implementation
difference from rounding.
"""
import json
import os
import os.path as osp
from typing import Dict, Iterable

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from refvos_refs_utils import REFS, rule_state_dict, train_args, write_published
from tools_utils import REPO
from train_refs_utils import (GradRecorder, assert_grads, assert_losses, assert_weights,
                              case_keys)

from mmsegsup.models.converters import original_key
from mmsegsup.registry import SEG_TRANSFORMS
from mmsegsup.utils.tool_runner import load_tool

THESIS = osp.join(REPO, 'configs', 'refvos', 'refvos_r101_refcoco-480x480.py')
CONVERTER = 'tools/model_converters/refvos_to_mmsegsup.py'
# ~20-30 s each (a ResNet-101 DeepLab and a BERT in float64): both run with the slow tests
CASES = tuple(pytest.param(case, marks=pytest.mark.slow)
              for case in ('refvos_train_r101_bertbase', 'refvos_train_r101_bert11l_b3'))
# float64 against the reference run, no float32 allowance: bounds near float64 (the full
# tensors are stored rounded to float32: 6e-8 relative); measured errors are ~1e-10
BOUNDS = dict(loss=dict(rel=1e-9), grads=dict(rel=1e-6, stat_rel=1e-6),
              weights=dict(atol=1e-6, delta_rel=1e-6))
# the original's dropout draws: our two dropouts in the original's order
DROPOUTS = (('project', 'decode_head.bottleneck_dropout'),
            ('project_final', 'decode_head.post_fusion.1'))


def load_train_case(case: str):
    with open(osp.join(REFS, f'{case}.json')) as f:
        meta = json.load(f)
    return meta, np.load(osp.join(REFS, f'{case}.npz'))


class CaseView:
    """The case without some keys (in every kind: ``grad1/``, ``w1/``, ``dstat2/`` ...), for
    the comparisons of what ours does not have on purpose."""

    def __init__(self, data, leave_out: Iterable[str]) -> None:
        leave_out = set(leave_out)
        self._data = data
        self.files = [n for n in data.files if n.split('/', 1)[1] not in leave_out]

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name]


def case_names(meta: dict) -> Dict[str, str]:
    """Our state_dict key -> the case's key (``model.`` / ``bert.`` + the original's), through
    the converter's key map (which drops the unused BERT pooler)."""
    names = {}
    for entry, prefix, shapes in (('model', 'model.', meta['model_state_dict']),
                                  ('bert_model', 'bert.', meta['bert_state_dict'])):
        for key in shapes:
            ours = original_key(entry, key)
            if ours is not None:
                names[ours] = prefix + key
    return names


def convert(tmp_path, meta: dict, weights: dict) -> str:
    """The case's weights written as a published ``model_best_*.pth`` and converted by the CLI
    (offline tokenizer: the bundled MiniLM's, bert-base-uncased's vocabulary)."""
    published = write_published(str(tmp_path / 'model_best.pth'), weights,
                                train_args(dataset=meta['args']['dataset']))
    out = str(tmp_path / 'converted')
    assert load_tool(CONVERTER).main([published, out, '--tokenizer', 'minilm-offline']) == 0
    os.remove(published)
    return out


def thesis_cfg(converted: str, meta: dict) -> Config:
    """The thesis config with what the case changes: the BERT architecture and the tokenizer
    the converter wrote (the case's BERT, offline), the crop the preprocessor pads to; no
    pretrained backbone (the converted weights are loaded)."""
    cfg = Config.fromfile(THESIS)
    enc = Config.fromfile(osp.join(converted, 'config.py')).model.text_encoder
    cfg.model.text_encoder.model_config = enc.model_config
    cfg.model.text_encoder.model_name_or_path = enc.model_name_or_path
    cfg.model.data_preprocessor.size = (meta['crop_size'], meta['crop_size'])
    cfg.model.backbone.init_cfg = None
    return cfg


def packed_samples(cfg: Config, meta: dict, data) -> list:
    """The case's samples as the thesis train pipeline's ``PackSegInputs`` packs them: the
    cropped, padded image (BGR uint8, as loaded), its mask (255 on the padding) and sentence."""
    pack = SEG_TRANSFORMS.build(cfg.train_pipeline[-1])
    out = []
    for k, (img, tgt) in enumerate(zip(data['in/images_uint8'], data['in/targets'])):
        shape = img.shape[:2]
        out.append(pack(dict(img=np.ascontiguousarray(img[..., ::-1]),
                             gt_seg_map=tgt.astype(np.uint8), seg_fields=['gt_seg_map'],
                             img_shape=shape, ori_shape=shape, pad_shape=shape,
                             expression=meta['sentences'][k], expr_id=str(k))))
    return out


class CompareEachStep(Hook):
    """As the runner trains: seeds torch right before the first forward (the case's dropout
    draw), then per iteration compares the images and token ids fed, the dropout masks, the
    learning rate of the step, the loss, the gradients (first iteration) and the state after
    the step with the case's."""

    priority = 'NORMAL'  # after_train_iter before ParamSchedulerHook (LOW) steps the lr

    def __init__(self, meta: dict, data, weights: Dict[str, torch.Tensor]) -> None:
        self.meta, self.data, self.batch = meta, data, meta['batch']
        self.initial = weights  # the case's key -> the rule weights we converted
        self.names = case_names(meta)
        self.seen: Dict[str, np.ndarray] = {}
        self.done = []
        # the original's BERT parameters with a gradient that its optimizer never steps
        # (embeddings, layers from 10 on): ours fixes them (no gradient); the pooler: dropped
        self.fixed = set(meta['not_stepped_with_grad'])
        assert self.fixed and all(k.startswith('bert.') for k in self.fixed)
        kept = set(self.names.values())
        self.dropped = {k for kind in ('w1', 'dstat1') for k in case_keys(data, kind)
                        if k not in kept}

    def before_train(self, runner) -> None:
        model = runner.model
        state = model.state_dict()
        assert set(state) == set(self.names), sorted(set(state) ^ set(self.names))[:5]
        for ours, key in self.names.items():
            assert torch.equal(state[ours], self.initial[key].to(state[ours].dtype)), (
                f'{ours} not loaded as {key}')
        params = dict(model.named_parameters())
        self.recorder = GradRecorder({self.names[n]: p for n, p in params.items()})
        model.backbone.register_forward_pre_hook(self._images)
        model.text_encoder.model.register_forward_pre_hook(self._keep_ids, with_kwargs=True)
        modules = dict(model.named_modules())
        for name, ours in DROPOUTS:
            modules[ours].register_forward_hook(self._keep_dropout(name))

    def _images(self, module, args):
        """Our normalised images equal the original's but for float32 rounding; the float64
        model is fed the original's (train-mode BatchNorm would amplify a 1e-7 difference
        ~100x)."""
        ref = self.data['in/images'][self.rows]
        np.testing.assert_allclose(args[0].numpy(), ref, atol=1e-5)
        self.seen['images'] = True
        return (torch.from_numpy(ref).to(args[0].device, torch.float64), )

    def _keep_ids(self, module, args, kwargs) -> None:
        self.seen['input_ids'] = kwargs['input_ids'].numpy()
        self.seen['attention_mask'] = kwargs['attention_mask'].numpy()

    def _keep_dropout(self, name: str):
        def hook(module, args, out) -> None:
            self.seen[name] = ((out != 0).numpy(), (args[0] != 0).numpy())
        return hook

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if batch_idx == 0:
            torch.manual_seed(self.meta['torch_seed_before_epoch'])
        self.rows = slice(batch_idx * self.batch, (batch_idx + 1) * self.batch)
        self.seen.clear()
        model = runner.model  # training, but BERT in eval mode (no dropout) as the original's
        assert model.training and model.decode_head.training
        assert not any(m.training for m in model.text_encoder.model.modules())
        it = batch_idx + 1
        ours = runner.optim_wrapper.get_lr()['lr']
        np.testing.assert_allclose(ours, [self.data['in/lrs'][batch_idx][0]] * len(ours),
                                   rtol=1e-12, err_msg=f'lr of step {it}')
        np.testing.assert_allclose(self.data['in/lrs'][batch_idx],
                                   self.data['in/lrs'][batch_idx][0], rtol=0)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        it = batch_idx + 1
        assert self.seen.get('images'), 'the backbone was not fed'
        for key in ('input_ids', 'attention_mask'):
            np.testing.assert_array_equal(self.seen[key], self.data[f'in/{key}'][self.rows])
        for name, _ in DROPOUTS:
            kept, seen = self.seen[name]
            ref = self.data[f'in/dropout{it}_{name}']
            both = seen & (ref != 2)  # where both inputs are nonzero (after the ReLU)
            assert (kept[both] == (ref[both] == 1)).all(), (
                f'iteration {it}: the dropout of {name} drew other masks than the original')
        assert_losses({k: float(v) for k, v in outputs.items()}, self.data, it,
                      names=dict(loss='decode.loss_ce'), use_noise=False, **BOUNDS['loss'])
        if it == 1:
            grads = dict(self.recorder.grads)
            assert self.fixed.isdisjoint(grads), sorted(self.fixed & set(grads))[:5]
            assert_grads(grads, CaseView(self.data, self.fixed), use_noise=False,
                         **BOUNDS['grads'])
        state = {self.names[k]: v for k, v in runner.model.state_dict().items()}
        for key in self.fixed:  # never stepped: exactly the initial weights, there and here
            ref = self.data[f'dstat{it}/{key}'] if f'dstat{it}/{key}' in self.data.files else \
                self.data[f'w{it}/{key}'] - self.initial[key].numpy()
            assert not ref.any() and torch.equal(state[key], self.initial[key].double()), key
        assert_weights(state, self.initial, CaseView(self.data, self.dropped | self.fixed), it,
                       use_noise=False, **BOUNDS['weights'])
        self.done.append(it)


@pytest.mark.parametrize('case', CASES)
def test_two_steps_equal_original(tmp_path, case):
    """Loss (rel 1e-9), gradients (1e-6 of each tensor's largest magnitude; the ResNet and the
    large tensors by their sums / norms, 1e-6), weights after each step (1e-6; the large
    tensors by their updates, 1e-6), the poly LR of both steps and of the next one, the
    dropout draws; BERT's embeddings and the layers from 10 on untouched."""
    meta, data = load_train_case(case)
    assert meta['modes_during_epoch'][0] == dict(model_training=True, bert_training=False)
    assert sum(meta['ignored_pixels']) > 0  # the padding: cross-entropy's ignore_index 255
    assert [g['bert_layers'] for g in meta['param_groups']] == [[], [], list(range(10)), []]
    weights = rule_state_dict(meta['model_state_dict'])
    bert = rule_state_dict(meta['bert_state_dict'])
    converted = convert(tmp_path, meta, dict(model=weights, bert_model=bert))
    initial = {'model.' + k: v for k, v in weights.items()}
    initial.update({'bert.' + k: v for k, v in bert.items()})
    del weights, bert
    cfg = thesis_cfg(converted, meta)
    compare = CompareEachStep(meta, data, initial)
    loader = DataLoader(packed_samples(cfg, meta, data), batch_size=meta['batch'],
                        shuffle=False, collate_fn=pseudo_collate)
    assert len(loader) == meta['len_data_loader']
    # the config's hooks but the checkpoint (no 0.6 GB file) and the (test-time) visualisation
    hooks = {k: v for k, v in cfg.default_hooks.items() if k != 'visualization'}
    hooks['checkpoint'] = None
    runner = Runner(
        model=cfg.model, work_dir=str(tmp_path / 'work'), train_dataloader=loader,
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),  # the case's one epoch
        optim_wrapper=cfg.optim_wrapper, param_scheduler=cfg.param_scheduler,
        default_hooks=hooks, custom_hooks=[compare], load_from=osp.join(converted, 'model.pth'),
        env_cfg=cfg.env_cfg, randomness=cfg.randomness, default_scope=cfg.default_scope,
        log_level='WARNING')
    runner.model.double()  # as the reference run (module docstring)
    runner.train()
    assert compare.done == [1, 2]
    # the lr the second scheduler step leaves for the third iteration
    ours = runner.optim_wrapper.get_lr()['lr']
    np.testing.assert_allclose(ours, meta['lr_after_epoch'], rtol=1e-12)
    np.testing.assert_allclose(data['in/lr_poly'], [meta['lrs_per_step'][0][0],
                                                    meta['lrs_per_step'][1][0],
                                                    meta['lr_after_epoch']], rtol=1e-12)
