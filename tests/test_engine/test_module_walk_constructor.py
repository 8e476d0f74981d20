"""``ModuleWalkOptimWrapperConstructor`` (mmsegsup/engine/optimizers.py): the parameter lists of
imatge-upc/rvos and imatge-upc/rsis's ``get_base_params``, which list a ResNet parameter once
per module level that holds it, so that Adam updates it (step count included) that many times
per step. Built from config dicts through MMEngine's ``build_optim_wrapper``; the recipes'
learning rates and groups are checked in tests/test_configs/."""
from collections import Counter
from typing import Dict

import pytest
import torch
import torch.nn as nn
from mmdet.models.backbones import ResNet
from mmengine.optim import OptimWrapper, build_optim_wrapper

import mmsegsup.engine  # noqa: F401  (registers the constructor)

WALK = 'ModuleWalkOptimWrapperConstructor'


class Net(nn.Module):
    """mmdet's ResNet-18 (torchvision's parameter names), narrow, as the backbone; a sibling
    whose name starts with 'backbone' and a head, both two modules deep."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = ResNet(depth=18, base_channels=4)
        self.backbone2 = nn.Sequential(nn.Sequential(nn.Conv2d(2, 2, 1)))
        self.head = nn.Sequential(nn.Sequential(nn.Conv2d(2, 2, 1)))


def _get_base_params(model: Net) -> Counter:
    """imatge-upc/rsis utils/utils.py:34-52 (``for m in block.modules(): for p in
    m.parameters(): yield p`` over conv1, bn1, layer1-4), counted per parameter name."""
    names = {id(p): n for n, p in model.named_parameters()}
    b = model.backbone
    counts: Counter = Counter()
    for block in (b.conv1, b.bn1, b.layer1, b.layer2, b.layer3, b.layer4):
        for module in block.modules():
            for param in module.parameters():
                counts[names[id(param)]] += 1
    return counts


def _build(model: nn.Module, constructor: str = WALK, **kwargs) -> OptimWrapper:
    cfg = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3),
               constructor=constructor, **kwargs)
    return build_optim_wrapper(model, cfg)


def _listings(model: nn.Module, optim_wrapper: OptimWrapper) -> Dict[str, int]:
    names = {id(p): n for n, p in model.named_parameters()}
    counts: Counter = Counter()
    for group in optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            counts[names[id(param)]] += 1
    return dict(counts)


def test_lists_each_parameter_once_per_module_level_under_the_backbone():
    model = Net()
    listed = _listings(model, _build(model))
    assert set(listed) == {n for n, _ in model.named_parameters()}
    assert listed['backbone.conv1.weight'] == listed['backbone.bn1.weight'] == 1
    assert listed['backbone.layer1.0.conv1.weight'] == listed['backbone.layer3.1.bn2.bias'] == 3
    assert listed['backbone.layer2.0.downsample.0.weight'] == 4  # layer2, .0, .downsample, .0
    assert listed['backbone.layer2.0.downsample.1.bias'] == 4
    backbone = {n: c for n, c in listed.items() if n.startswith('backbone.')}
    assert backbone == dict(_get_base_params(model))
    # Not under the prefix (a module prefix, not a string one): once.
    assert listed['backbone2.0.0.weight'] == listed['head.0.0.weight'] == 1


def test_paramwise_settings_apply_to_every_listing():
    model = Net()
    optim_wrapper = _build(model, paramwise_cfg=dict(custom_keys={'backbone.': dict(lr_mult=0.1)}))
    names = {id(p): n for n, p in model.named_parameters()}
    for group in optim_wrapper.optimizer.param_groups:
        params = {names[id(p)] for p in group['params']}
        expected = 1e-4 if all(n.startswith('backbone.') for n in params) else 1e-3
        assert len(params) == 1 and group['lr'] == pytest.approx(expected, rel=1e-12), params
    assert _listings(model, optim_wrapper) == _listings(model, _build(model))


def test_adam_steps_a_parameter_once_per_listing():
    """After one optimizer step Adam's step count of each parameter is its listing count, and a
    parameter listed three times moves as three Adam updates with that gradient."""
    model = Net()
    optim_wrapper = _build(model)
    listed = _listings(model, optim_wrapper)
    grads = {n: torch.randn_like(p) for n, p in model.named_parameters()}
    conv = 'backbone.layer1.0.conv1.weight'
    start = dict(model.named_parameters())[conv].detach().clone()
    optim_wrapper.update_params(sum((p * grads[n]).sum() for n, p in model.named_parameters()))
    params = dict(model.named_parameters())
    steps = {n: int(optim_wrapper.optimizer.state[p]['step']) for n, p in params.items()}
    assert steps == listed
    moved = []
    replay = start.clone().requires_grad_()
    adam = torch.optim.Adam([replay], lr=1e-3)
    for _ in range(3):
        replay.grad = grads[conv].clone()
        adam.step()
        moved.append(replay.detach().clone())
    torch.testing.assert_close(params[conv].detach(), moved[2], rtol=0, atol=1e-7)
    assert (moved[2] - moved[0]).abs().min() > 1e-4  # one update would be far off


def test_default_constructor_lists_each_parameter_once():
    model = Net()
    optim_wrapper = _build(model, 'DefaultOptimWrapperConstructor')
    listed = _listings(model, optim_wrapper)
    assert set(listed.values()) == {1} and len(listed) == len(list(model.parameters()))
    optim_wrapper.update_params(sum(p.square().sum() for p in model.parameters()))
    assert {int(s['step']) for s in optim_wrapper.optimizer.state.values()} == {1}


def test_walk_prefixes():
    """Other prefixes, from the config (``paramwise_cfg.walk_prefixes``, which
    ``build_optim_wrapper`` hands the constructor): a trailing dot or none, the same."""
    for prefix in ('head', 'head.'):
        model = Net()
        optim_wrapper = build_optim_wrapper(model, dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3), constructor=WALK,
            paramwise_cfg=dict(walk_prefixes=(prefix, ))))
        listed = _listings(model, optim_wrapper)
        assert listed['head.0.0.weight'] == listed['head.0.0.bias'] == 2  # head.0, head.0.0
        assert {c for n, c in listed.items() if not n.startswith('head.')} == {1}
