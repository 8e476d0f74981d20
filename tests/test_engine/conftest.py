"""A toy model and a small real MMEngine ``Runner`` around it, for the engine's unit tests.

The model has what our hooks switch: a ``backbone`` with BatchNorm, a ``head`` with a mask, a
class and an IoU branch, the class loss module's ``loss_weight`` (logged by
``LossSwitchHook``), ``inactive_losses`` (loss terms computed but not optimised, logged as
``off_*``), ``head.iou_only`` (FreezeSegmentationHook) and ``head.use_predicted_prev_mask``
(PrevMaskCurriculumHook). ``val_offset`` is added to the mask loss in eval mode, so a test
can script the validation loss epoch by epoch (``ScriptValLoss``).
"""
import uuid
from typing import Callable, Dict, List, Optional, Sequence

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseDataPreprocessor, BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmsegsup.engine  # noqa: F401  (registers our hooks, loops, schedulers, constructors)


class ToyData(Dataset):
    """``n`` samples ``dict(inputs=x (4, ), data_samples=y (1, ))``, fixed by ``seed``."""
    metainfo: dict = {}

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 4, generator=g)
        self.y = torch.randn(n, 1, generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.x[i], data_samples=self.y[i])


class RecordingPreprocessor(BaseDataPreprocessor):
    """MMEngine's preprocessor, recording the ``training`` flag of every call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: List[bool] = []

    def forward(self, data: dict, training: bool = False) -> dict:
        self.calls.append(training)
        return super().forward(data, training)


class ToyLoss(nn.Module):
    def __init__(self, loss_weight: float) -> None:
        super().__init__()
        self.loss_weight = loss_weight


class ToyHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc_mask = nn.Linear(4, 1)
        self.fc_cls = nn.Linear(4, 1)
        self.iou_branch = nn.Linear(4, 1)
        self.loss_cls = ToyLoss(0.1)
        self.iou_only = False
        self.use_predicted_prev_mask = False


class ToyModel(BaseModel):
    """Losses ``loss_mask`` (+ ``val_offset`` in eval mode), ``loss_cls`` (x its loss weight)
    and ``loss_iou``; ``grad_enabled`` records ``torch.is_grad_enabled()`` per loss call and
    ``prev_mask`` the head's ``use_predicted_prev_mask`` per training call."""

    def __init__(self) -> None:
        super().__init__(data_preprocessor=RecordingPreprocessor())
        self.backbone = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
        self.head = ToyHead()
        self.inactive_losses: set = set()
        self.val_offset = 0.0
        self.grad_enabled: List[bool] = []
        self.prev_mask: List[bool] = []

    def forward(self, inputs: torch.Tensor, data_samples: Optional[torch.Tensor] = None,
                mode: str = 'tensor'):
        feat = self.backbone(inputs)
        if mode != 'loss':
            return feat
        self.grad_enabled.append(torch.is_grad_enabled())
        if self.training:
            self.prev_mask.append(self.head.use_predicted_prev_mask)
        head = self.head
        losses = dict(loss_iou=(head.iou_branch(feat) - 1).square().mean())
        if head.iou_only:
            return losses
        losses['loss_mask'] = (head.fc_mask(feat) - data_samples).square().mean()
        if not self.training:
            losses['loss_mask'] = losses['loss_mask'] + self.val_offset
        losses['loss_cls'] = head.loss_cls.loss_weight * head.fc_cls(feat).square().mean()
        for name in self.inactive_losses:
            losses['off' + name[4:]] = losses.pop(name).detach()
        return losses


class ScriptValLoss(Hook):
    """Before the k-th validation, sets the model's ``val_offset`` to ``offsets[k]``."""
    priority = 'HIGHEST'

    def __init__(self, offsets: Sequence[float]) -> None:
        self.offsets = list(offsets)
        self.done = 0

    def before_val_epoch(self, runner) -> None:
        runner.model.val_offset = self.offsets[self.done]
        self.done += 1


class Record(Hook):
    """``values[(epoch, iter)]`` = ``fn(runner)`` before every training iteration (after the
    hooks of higher priority), the metrics of every validation and its iterations."""
    priority = 'LOWEST'

    def __init__(self, fn: Callable = lambda runner: None) -> None:
        self.fn = fn
        self.values: Dict[tuple, object] = {}
        self.metrics: List[dict] = []
        self.val_iters: List[tuple] = []

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.values[(runner.epoch, runner.iter)] = self.fn(runner)

    def before_val_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.val_iters.append(('before', batch_idx))

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.val_iters.append(('after', batch_idx, outputs))

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics.append(dict(metrics or {}))


def loader(n: int, seed: int, batch_size: int = 2) -> dict:
    return dict(dataset=ToyData(n, seed), batch_size=batch_size, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'))


@pytest.fixture
def toy():
    """The toy classes, for tests that need them outside a runner."""
    return dict(model=ToyModel, data=ToyData, script=ScriptValLoss, record=Record,
                loader=loader)


@pytest.fixture
def make_runner(tmp_path):
    """``make_runner(work='work', **runner_kwargs)``: a Runner on a fresh ToyModel (4 training
    samples in batches of 2: 2 iterations an epoch; 3 validation samples: batches of 2 and 1),
    SGD lr 0.1, validation by ``LossValLoop``, checkpoints every epoch. Scope 'mmengine':
    our engine modules register in MMEngine's root registries, visible from every scope."""
    def make(work: str = 'work', **kwargs) -> Runner:
        cfg = dict(
            model=ToyModel(), work_dir=str(tmp_path / work),
            train_dataloader=loader(4, seed=1), val_dataloader=loader(3, seed=2),
            train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=1),
            val_cfg=dict(type='LossValLoop'), val_evaluator=[],
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                               logger=dict(type='LoggerHook', interval=1)),
            randomness=dict(seed=0), default_scope='mmengine', log_level='WARNING',
            experiment_name=f'{work}-{uuid.uuid4().hex}')  # loggers / visualizers are by name
        cfg.update(kwargs)
        return Runner(**cfg)
    return make
