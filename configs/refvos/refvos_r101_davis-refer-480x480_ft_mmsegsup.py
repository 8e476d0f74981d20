# Our RefVOS variant fine-tuned on DAVIS-2017 referring expressions from our RefCOCO model
# (thesis 6.6's prose; the original code's recipe: refvos_r101_davis-refer-480x480_ft.py):
# annotator 1's first-frame expressions only, 480x480 without keeping the ratio, batch 7, SGD
# momentum 0.9, weight decay 1e-6, lr 1e-3 decreasing 1e-5 per epoch for 20 epochs (epoch e:
# 1e-3 - 1e-5 e, 1.00e-3 ... 0.81e-3); J&F on DAVIS-2017 val.
_base_ = [
    '../_base_/models/refvos_r101_mmsegsup.py', '../_base_/datasets/davis_refer.py',
    '../_base_/schedules/sgd_refvos_readme-davis_20e.py', '../_base_/refvos_runtime.py'
]
# all weights come from the RefCOCO checkpoint: no ImageNet init needed
model = dict(backbone=dict(init_cfg=None))
load_from = 'work_dirs/refvos_r101_refcoco-480x480_mmsegsup/best_overall_iou.pth'
train_dataloader = dict(
    batch_size=7, drop_last=False,
    dataset=dict(annotator=1, pipeline={{_base_.mmsegsup_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.mmsegsup_test_pipeline}}))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(save_best='davis/J&F-Mean'))
