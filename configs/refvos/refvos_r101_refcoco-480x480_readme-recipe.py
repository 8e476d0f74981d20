# The original RefVOS model and data with the optimiser of the original README's "Training
# Details" (README.md:101 = thesis 6.6): weight decay 1e-6 (args.py:24: 1e-4), batch 7
# (args.py:14: 6) and the piecewise-linear RefCOCO(+) schedule over 45 epochs. The repository
# does not say which of the two recipes produced the published checkpoints (see
# refvos_r101_refcoco-480x480.py); each published .pth's args record it.
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/sgd_refvos_readme-refcoco_45e.py', '../_base_/refvos_runtime.py'
]
train_dataloader = dict(batch_size=7)
