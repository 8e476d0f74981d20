# RefVOS on RefCOCO (UNC splits) with the original code's recipe (miriambellver/refvos, the
# code of the published checkpoints; issue 14): the original model
# (configs/_base_/models/refvos_r101.py: torchvision-layout ResNet-101, DeepLabHeadEmb, BERT
# [CLS] with 20 tokens, eval mode, layers 0-9 optimised), its data (one random sentence per
# object per epoch, shorter side 416 then pad / crop 480; test at the image's resolution,
# every sentence, empty union IoU 0: configs/_base_/datasets/refcoco.py) and its optimiser
# (SGD 0.01, momentum 0.9, weight decay 1e-4, batch 6, poly 0.9 per iteration over 30 epochs:
# configs/_base_/schedules/sgd_refvos_poly_30e.py).
#
# Which recipe trained the published checkpoints is not in the repository: the code's
# defaults (this config) or the README's "Training Details" (weight decay 1e-6, batch 7 and a
# piecewise-linear schedule run with --linear_lr / --fixed_lr restarts:
# refvos_r101_refcoco-480x480_readme-recipe.py). Each published .pth stores its own training
# args (weight_decay, batch_size, epochs, linear_lr, fixed_lr): read them to know.
# Our variant (thesis prose, ResNetV1c, 480x480 squash): refvos_r101_refcoco-480x480_mmsegsup.py.
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/sgd_refvos_poly_30e.py', '../_base_/refvos_runtime.py'
]
