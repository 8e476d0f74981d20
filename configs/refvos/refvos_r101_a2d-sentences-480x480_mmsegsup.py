# Our RefVOS variant on A2D-Sentences (thesis 6.6's prose, not the original code:
# refvos_r101_a2d-sentences-480x480.py): ImageNet-initialised DeepLabv3 ResNetV1c-101 +
# BERT-base (40 tokens, train mode), 480x480 without keeping the ratio, only the frames that
# hold the referred actor (as MTTR's and CMPC-V's A2D-Sentences loaders), an empty union
# IoU 1; batch 7, SGD momentum 0.9, weight decay 1e-6, lr 0.1 decreasing 0.004 per epoch for
# 15 epochs (epoch e, 0-based: 0.1 - 0.004 e, i.e. 0.100 ... 0.044).
_base_ = [
    '../_base_/models/refvos_r101_mmsegsup.py', '../_base_/datasets/a2d_sentences.py',
    '../_base_/schedules/sgd_refvos_readme-a2d_15e.py', '../_base_/refvos_runtime.py'
]
train_dataloader = dict(
    batch_size=7, drop_last=False,
    dataset=dict(absent_frames=False, pipeline={{_base_.mmsegsup_train_pipeline}}))
val_dataloader = dict(
    dataset=dict(absent_frames=False, pipeline={{_base_.mmsegsup_test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(empty_union_iou=1.0)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='overall_iou'))
