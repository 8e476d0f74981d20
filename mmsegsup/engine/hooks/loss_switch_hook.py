"""imatge-upc/rsis's training schedule: loss terms switched on by epoch or on a plateau of the
validation loss, the best checkpoint reloaded at a plateau, early stopping by patience."""
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner.checkpoint import _load_checkpoint

from ..utils import bare_model


@HOOKS.register_module()
class LossSwitchHook(Hook):
    """Switch loss terms on during training the way imatge-upc/rsis's ``trainIters`` does.

    Until its switch, a term named in ``switches`` is computed and logged but left out of the
    optimised total (the model's ``inactive_losses``, see :class:`~mmsegsup.models.RSIS`), as
    the original adds ``class_weight * loss_class`` and ``stop_weight * loss_stop`` only once
    ``use_class_loss`` / ``use_stop_loss`` are set (src/train.py:171-176). A term switches on

    * at the start of epoch ``epoch`` (0-based: the original's ``e``; train.py:319-338), or
    * with ``plateau`` (the default), once the monitored quantity has not improved for more
      than ``patience`` validations (``acc_patience > patience``, train.py:450-499). The model
      and optimizer states of the best checkpoint are reloaded first (train.py:456-460,
      495-499). At most one term switches per validation, in the order of ``switches``.

    One counter of validations without improvement serves every rule (train.py:288-290,
    440-448): an improvement is ``value < best - min_delta`` (train.py:440). Every switch resets
    the best and the counter, since the added term raises the loss (train.py:322-324, 330-332,
    336-338, 452-455, 490-493). With ``patience_stop`` training ends once the counter exceeds it
    (train.py:500-502). Each improvement saves ``best_name`` in the work dir with the optimizer
    (``save_checkpoint``, train.py:440-446): at the end it holds the best model since the last
    switch, the one the original evaluates.

    MMEngine's ``EarlyStoppingHook`` is not used for the last rule: it keeps its own best and
    counter, which would go on counting across a switch, when the new term raises the loss.

    The switched-on terms, best and counter are saved in checkpoints (``meta.loss_switch``) and
    restored when training resumes; a checkpoint loaded with ``load_from`` starts afresh, as
    the original's ``--transfer`` keeps the new run's flags. Each training iteration logs every
    switched term's effective weight, 'loss_cls' as ``weight_cls`` (0 while off, else the
    ``loss_weight`` of the head's loss module of that name).

    Args:
        switches: ``dict(loss=NAME, epoch=None, plateau=True)`` per term, NAME being the key
            of the head's loss dict ('loss_cls'); ``epoch=None`` means no epoch rule.
        monitor: validation metric to watch: 'val_loss', the summed training losses on the
            validation data, as the original (train.py:340-448), from ``LossValLoop``.
        rule: 'less' (a loss) or 'greater' (a score) is better.
        patience: validations without improvement tolerated before a plateau switch
            (args.py:71: 15).
        patience_stop: tolerated before training stops (args.py:75: 60); None: never.
        min_delta: least change that counts as an improvement (args.py:54: 0).
        head: attribute of the model holding the loss modules, for the logged weights.
        best_name: file name of the best checkpoint in the work dir.
    """

    priority = 'NORMAL'

    def __init__(self,
                 switches: Sequence[dict] = (),
                 monitor: str = 'val_loss',
                 rule: str = 'less',
                 patience: int = 15,
                 patience_stop: Optional[int] = None,
                 min_delta: float = 0.0,
                 head: str = 'bbox_head',
                 best_name: str = 'best_val_loss.pth') -> None:
        self.switches: List[dict] = []
        for sw in switches:
            unknown = set(sw) - {'loss', 'epoch', 'plateau'}
            if 'loss' not in sw or unknown:
                raise ValueError(f'LossSwitchHook: a switch is dict(loss=NAME, epoch=None, '
                                 f'plateau=True), got {dict(sw)}')
            self.switches.append(dict(loss=sw['loss'], epoch=sw.get('epoch'),
                                      plateau=bool(sw.get('plateau', True))))
        names = [sw['loss'] for sw in self.switches]
        if len(set(names)) != len(names):
            raise ValueError(f'LossSwitchHook: a loss is switched twice in {names}')
        if rule not in ('less', 'greater'):
            raise ValueError(f"LossSwitchHook: rule must be 'less' or 'greater', got {rule!r}")
        self.monitor = monitor
        self.rule = rule
        self.patience = patience
        self.patience_stop = patience_stop
        self.min_delta = min_delta
        self.head = head
        self.best_name = best_name
        self.active: set = set()
        self._reset()
        self._loaded: Optional[dict] = None
        self._training = False

    # ------------------------------------------------------------------ state
    def _pending(self) -> List[dict]:
        return [sw for sw in self.switches if sw['loss'] not in self.active]

    def _apply(self, runner) -> None:
        model = bare_model(runner)
        model.inactive_losses = {sw['loss'] for sw in self._pending()}

    def _reset(self) -> None:
        self.best = math.inf if self.rule == 'less' else -math.inf
        self.wait = 0

    def state_dict(self) -> dict:
        """What a resumed run needs to go on with the same schedule."""
        return dict(active=sorted(self.active), best=self.best, wait=self.wait)

    def load_state_dict(self, state: dict) -> None:
        self.active = set(state['active'])
        self.best = float(state['best'])
        self.wait = int(state['wait'])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['loss_switch'] = self.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('meta', {}).get('loss_switch')

    # ------------------------------------------------------------------ hooks
    def before_train(self, runner) -> None:
        model = bare_model(runner)
        if not hasattr(model, 'inactive_losses'):
            raise TypeError(f'LossSwitchHook: {type(model).__name__} has no `inactive_losses`; '
                            'it needs a model that can leave loss terms out (e.g. RSIS)')
        resumed = runner.iter > 0 and self._loaded is not None
        if resumed:
            self.load_state_dict(self._loaded)
            self._loaded = None
        else:
            self.active = set()
            self._reset()
        self._training = True
        self._apply(runner)

    def after_train(self, runner) -> None:
        self._training = False

    def before_train_epoch(self, runner) -> None:
        for sw in self._pending():
            if sw['epoch'] is not None and runner.epoch >= sw['epoch']:
                self._switch_on(runner, sw['loss'], f'epoch {runner.epoch} >= {sw["epoch"]}')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        head = getattr(bare_model(runner), self.head, None)
        for sw in self.switches:
            name = sw['loss']
            weight = float(getattr(getattr(head, name, None), 'loss_weight', 1.0))
            key = 'train/' + name.replace('loss', 'weight', 1)
            runner.message_hub.update_scalar(key, weight if name in self.active else 0.0)

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not self._training:  # a stand-alone validation changes nothing
            return
        metrics = metrics or {}
        if self.monitor not in metrics:
            raise KeyError(f'LossSwitchHook: validation reported no {self.monitor!r} (got '
                           f'{sorted(metrics)}); validating by the training losses '
                           "(val_cfg=dict(type='LossValLoop')) reports val_loss")
        value = torch.tensor(float(metrics[self.monitor]))
        dist.all_reduce(value, op='mean')  # ranks see their own share of the validation set
        value = float(value)
        if self._improved(value):
            self.best, self.wait = value, 0
            runner.save_checkpoint(runner.work_dir, self.best_name, save_optimizer=True,
                                   save_param_scheduler=runner.param_schedulers is not None,
                                   by_epoch=False)
        else:
            self.wait += 1
        for sw in self._pending():
            if sw['plateau'] and self.wait > self.patience:
                self._reload_best(runner)
                self._switch_on(runner, sw['loss'],
                                f'{self.monitor} did not improve for {self.wait} validations')
                break
        if self.patience_stop is not None and self.wait > self.patience_stop:
            runner.logger.info(f'LossSwitchHook: {self.monitor} did not improve for '
                               f'{self.wait} validations (best {self.best:.4f}): stop training')
            runner.train_loop.stop_training = True

    # ------------------------------------------------------------------ actions
    def _improved(self, value: float) -> bool:
        if self.rule == 'less':
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _switch_on(self, runner, name: str, why: str) -> None:
        self.active.add(name)
        self._reset()
        self._apply(runner)
        runner.logger.info(f'LossSwitchHook: {name} switched on ({why})')

    def _reload_best(self, runner) -> None:
        """Model and optimizer states of the best checkpoint (train.py:456-460, 495-499)."""
        path = osp.join(runner.work_dir, self.best_name)
        if not osp.isfile(path):
            raise FileNotFoundError(f'LossSwitchHook: {path}: the best checkpoint to reload '
                                    'is missing')
        ckpt = _load_checkpoint(path, map_location='cpu')
        bare_model(runner).load_state_dict(ckpt['state_dict'])
        runner.optim_wrapper.load_state_dict(ckpt['optimizer'])
        runner.logger.info(f'LossSwitchHook: reloaded {path}')
