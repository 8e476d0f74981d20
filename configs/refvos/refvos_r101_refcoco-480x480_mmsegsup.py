# Our RefVOS variant on RefCOCO (UNC splits), the thesis's prose (6.6) rather than the original
# code (refvos_r101_refcoco-480x480.py): mmseg's DeepLabv3 ResNetV1c-101 (ImageNet init) with
# our RefASPPHead + BERT-base ([CLS], 40 tokens, trained in train mode), every sentence one
# training sample, 480x480 without keeping the ratio for train and test, an empty union IoU 1;
# batch 7, SGD momentum 0.9, weight decay 1e-6 and the README / thesis learning-rate schedule
# (configs/_base_/schedules/sgd_refvos_readme-refcoco_45e.py).
_base_ = [
    '../_base_/models/refvos_r101_mmsegsup.py', '../_base_/datasets/refcoco.py',
    '../_base_/schedules/sgd_refvos_readme-refcoco_45e.py', '../_base_/refvos_runtime.py'
]
train_dataloader = dict(
    batch_size=7, drop_last=False,
    dataset=dict(samples='sentence', pipeline={{_base_.mmsegsup_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.mmsegsup_test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(empty_union_iou=1.0)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='overall_iou'))
