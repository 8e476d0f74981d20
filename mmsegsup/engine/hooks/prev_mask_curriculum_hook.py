"""Curriculum of RVOS-Mask-ST+: ground-truth previous masks first, the model's own later."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class PrevMaskCurriculumHook(Hook):
    """Switch the previous-mask input from ground truth to the model's predictions.

    The switch point is an epoch (epoch-based loops) or an iteration; the state is derived
    from the runner's counters at every step, so a resumed run is on the right side of it.

    Args:
        switch_epoch: first epoch (0-based) trained on predicted masks.
        switch_iter: first iteration (0-based) trained on predicted masks.
    """

    priority = 'NORMAL'

    def __init__(self, switch_epoch: Optional[int] = None,
                 switch_iter: Optional[int] = None) -> None:
        if (switch_epoch is None) == (switch_iter is None):
            raise ValueError('PrevMaskCurriculumHook needs exactly one of switch_epoch and '
                             'switch_iter')
        self.switch_epoch = switch_epoch
        self.switch_iter = switch_iter

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if self.switch_iter is not None:
            predicted = runner.iter >= self.switch_iter
        else:
            predicted = runner.epoch >= self.switch_epoch
        model.head.use_predicted_prev_mask = predicted
