"""Curriculum of RVOS-Mask-ST+: ground-truth previous masks first, the model's own later."""
from typing import Optional

from mmengine.hooks import CheckpointHook, Hook
from mmengine.optim import OptimWrapperDict
from mmengine.registry import HOOKS

from ..utils import bare_model


@HOOKS.register_module()
class PrevMaskCurriculumHook(Hook):
    """Switch the previous-mask input from ground truth to the model's predictions.

    The switch point is an epoch (epoch-based loops) or an iteration; the state is derived
    from the runner's counters at every step, so a resumed run is on the right side of it.

    imatge-upc/rvos runs the two stages as two trainings (scripts/train_one_shot_youtube.sh):
    the second (train_previous_inference_mask.py, ``--transfer``) starts from the model the
    first saved, its best on the validation clips, loads its weights only and builds new
    optimizers (train_previous_inference_mask.py:194-201, 213-217), and keeps its own best
    (its ``best_val_loss`` starts from the default, args.py:44). ``restart_from_best`` does
    that within one run: at the switch epoch it loads the checkpoint of the
    ``CheckpointHook(save_best=...)``, clears the optimizer state and starts the best score
    anew; the first stage's best file is kept. Without it, the second stage continues from
    the last weights with the optimizer's state.

    Args:
        switch_epoch: first epoch (0-based) trained on predicted masks.
        switch_iter: first iteration (0-based) trained on predicted masks.
        restart_from_best: at ``switch_epoch`` (> 0), restart from the best checkpoint as
            above (needs a validation and ``save_best`` before the switch).
    """

    priority = 'NORMAL'

    def __init__(self, switch_epoch: Optional[int] = None,
                 switch_iter: Optional[int] = None, restart_from_best: bool = False) -> None:
        if (switch_epoch is None) == (switch_iter is None):
            raise ValueError('PrevMaskCurriculumHook needs exactly one of switch_epoch and '
                             'switch_iter')
        if restart_from_best and not (switch_epoch or 0) > 0:
            raise ValueError('restart_from_best needs switch_epoch > 0 (a first stage whose '
                             'best checkpoint the second starts from)')
        self.switch_epoch = switch_epoch
        self.switch_iter = switch_iter
        self.restart_from_best = restart_from_best

    def before_train_epoch(self, runner) -> None:
        if not self.restart_from_best or runner.epoch != self.switch_epoch:
            return
        best = runner.message_hub.get_info('best_ckpt')
        if best is None:
            raise RuntimeError(
                f'PrevMaskCurriculumHook(restart_from_best=True): no best checkpoint at the '
                f'switch epoch {self.switch_epoch}; validate before it and set '
                "default_hooks.checkpoint.save_best (e.g. 'val_loss')")
        runner.logger.info(f'previous-mask curriculum: second stage from {best}, new '
                           'optimizer state and best score')
        runner.load_checkpoint(best)
        wrappers = (runner.optim_wrapper.values()
                    if isinstance(runner.optim_wrapper, OptimWrapperDict)
                    else [runner.optim_wrapper])
        for wrapper in wrappers:
            wrapper.optimizer.state.clear()
        runner.message_hub.pop_info('best_score')
        runner.message_hub.pop_info('best_ckpt')
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook):
                hook.best_ckpt_path = None  # the first stage's best stays on disk

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = bare_model(runner)
        if self.switch_iter is not None:
            predicted = runner.iter >= self.switch_iter
        else:
            predicted = runner.epoch >= self.switch_epoch
        model.head.use_predicted_prev_mask = predicted
