"""Validation by the training losses: the model selection of the original RVOS / RSIS code."""
from typing import Sequence

import torch
from mmengine.registry import LOOPS
from mmengine.runner import ValLoop
from mmengine.runner.amp import autocast
from mmengine.runner.loops import _update_losses
from mmengine.structures import BaseDataElement

from .utils import bare_model


@LOOPS.register_module()
class LossValLoop(ValLoop):
    """Validate with the model's training losses on the validation data, averaged over its
    batches, instead of a metric on predictions.

    imatge-upc/rvos keeps, after every epoch, the model whose mean loss on the held-out clips
    (YouTube-VOS train-val, DAVIS-2017 val) improved (train_previous_mask.py:269-351,
    train.py:311-390), computed as in training but with the model in eval mode and no update
    (``runIter(..., mode='val')``: ``encoder.train(False)``, no backward). So here each batch
    runs ``mode='loss'`` without gradients after the model's ``eval()``, and the metrics are
    mmengine's ``ValLoop`` loss averages: ``<loss name>`` per loss and ``val_loss`` their sum,
    to select with ``CheckpointHook(save_best='val_loss', rule='less')``.

    The validation data are clips with their ground truth, built like the training set
    (e.g. ``VideoClipsDataset``) without augmentation. ``val_evaluator`` may be ``[]`` (the
    losses are the scores) or add metrics that read nothing (each batch gives them no
    predictions).
    """

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        model = bare_model(self.runner)
        with autocast(enabled=self.fp16):
            data = model.data_preprocessor(data_batch, False)
            losses = model._run_forward(data, mode='loss')
        outputs, self.val_loss = _update_losses([BaseDataElement(loss=losses)], self.val_loss)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)
