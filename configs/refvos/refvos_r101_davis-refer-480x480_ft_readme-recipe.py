# The original RefVOS model and DAVIS data with the optimiser of the original README's
# "Training Details" (thesis 6.6): lr 1e-3 decreasing 1e-5 per epoch for 20 epochs, weight
# decay 1e-6, batch 7, from a RefCOCO model.
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/davis_refer.py',
    '../_base_/schedules/sgd_refvos_readme-davis_20e.py', '../_base_/refvos_runtime.py'
]
model = dict(backbone=dict(init_cfg=None), text_encoder=dict(max_length=10))
load_from = 'work_dirs/refvos_r101_refcoco-480x480/best_mean_iou.pth'
train_dataloader = dict(batch_size=7)
default_hooks = dict(checkpoint=dict(save_best='davis/J&F-Mean'))
