"""Freeze-then-train of IoU-W-RSIS (thesis 5.3): segmentation first, then the IoU branch alone."""
from typing import Optional, Sequence

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..utils import bare_model


@HOOKS.register_module()
class FreezeSegmentationHook(Hook):
    """From ``freeze_iter`` (or ``freeze_epoch``) on, every parameter except those whose name
    contains one of ``trainable`` stops learning, and the frozen modules stay in eval mode (so
    BatchNorm statistics do not drift either); the head trains only its IoU loss.

    Frozen parameters get ``requires_grad=False``, hence no gradient, hence no optimizer update
    (PyTorch optimizers skip parameters without a gradient, weight decay and momentum included).
    The state is derived from the runner's counters before every iteration, so a run resumed
    after the freeze point is frozen again.

    Args:
        freeze_iter: first iteration (0-based) of the IoU-only stage.
        freeze_epoch: first epoch (0-based) of the IoU-only stage.
        trainable: substrings of the parameter names that keep training.
    """

    priority = 'NORMAL'

    def __init__(self, freeze_iter: Optional[int] = None, freeze_epoch: Optional[int] = None,
                 trainable: Sequence[str] = ('iou_branch', )) -> None:
        if (freeze_iter is None) == (freeze_epoch is None):
            raise ValueError('FreezeSegmentationHook needs exactly one of freeze_iter and '
                             'freeze_epoch')
        if not trainable:
            raise ValueError('FreezeSegmentationHook: `trainable` names no parameter to train')
        self.freeze_iter = freeze_iter
        self.freeze_epoch = freeze_epoch
        self.trainable = tuple(trainable)
        self._frozen = False
        self._frozen_modules: list = []

    def _due(self, runner) -> bool:
        if self.freeze_iter is not None:
            return runner.iter >= self.freeze_iter
        return runner.epoch >= self.freeze_epoch

    def _keeps_training(self, name: str) -> bool:
        return any(key in name for key in self.trainable)

    def freeze(self, model: nn.Module) -> None:
        """Stop every parameter but the trainable ones and put their modules in eval mode.

        The frozen modules (those owning no trainable parameter) are found once; later calls
        only switch them back to eval mode, which the train loop may have undone.
        """
        if not self._frozen:
            kept = 0
            for name, param in model.named_parameters():
                keep = self._keeps_training(name)
                param.requires_grad_(keep)
                kept += keep
            if not kept:
                raise ValueError(f'FreezeSegmentationHook: no parameter name contains any of '
                                 f'{self.trainable}; does the model have an IoU branch?')
            owners = {name.rsplit('.', 1)[0] for name, param in model.named_parameters()
                      if param.requires_grad}
            self._frozen_modules = [
                module for name, module in model.named_modules()
                if name and not self._keeps_training(name)
                and not any(o == name or o.startswith(name + '.') for o in owners)]
            for module in model.modules():  # heads with an IoU branch train only its loss now
                if hasattr(module, 'iou_only'):
                    module.iou_only = True
            self._frozen = True
        for module in self._frozen_modules:
            module.eval()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self._due(runner):
            return
        model = bare_model(runner)
        if not self._frozen:
            runner.logger.info(f'FreezeSegmentationHook: from iteration {runner.iter} only '
                               f'parameters named like {self.trainable} train')
        self.freeze(model)
