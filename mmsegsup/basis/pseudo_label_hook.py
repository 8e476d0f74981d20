"""Pseudo-label a split with the model being trained, inside the same run (BASIS).

A BASIS part registered in MMEngine's root ``HOOKS``; ``mmsegsup.registry`` lists this
package as a hook location, so configs naming it build it on first use.
"""
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import DATASETS, HOOKS

from ..engine.utils import bare_model
from .pseudo_labels import pseudo_label


@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """After training, run the trained annotation network over ``dataset`` and write its
    pseudo-labels (see :func:`mmsegsup.basis.pseudo_label`), so one ``tools/train.py`` call
    trains f and labels the pool. Resumable and DDP-consistent like the standalone tool.

    Args:
        dataset: config of the split to label (a test pipeline, ``test_mode=True``).
        out_dir: output folder; relative paths are under the work dir
            (default ``<work_dir>/pseudo_labels``).
        task: 'instance' or 'semantic'.
        score_thr: instances scored lower are dropped.
    """

    priority = 'LOW'

    def __init__(self, dataset: dict, out_dir: Optional[str] = None, task: str = 'instance',
                 score_thr: float = 0.0) -> None:
        self.dataset_cfg = dataset
        self.out_dir = out_dir or 'pseudo_labels'
        self.task = task
        self.score_thr = score_thr

    def after_train(self, runner) -> None:
        model = bare_model(runner)
        out = self.out_dir if osp.isabs(self.out_dir) else osp.join(runner.work_dir,
                                                                    self.out_dir)
        dataset = DATASETS.build(self.dataset_cfg)
        path = pseudo_label(model, dataset, out, task=self.task, score_thr=self.score_thr,
                            progress=False)
        if path is not None:
            runner.logger.info(f'pseudo-labels of {len(dataset)} images written to {path}')
