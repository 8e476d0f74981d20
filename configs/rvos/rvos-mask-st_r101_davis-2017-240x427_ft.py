# RVOS-Mask-ST+ (ft) (thesis table 3.3): the YouTube-VOS model fine-tuned on DAVIS-2017 train.
# Point load_from at your YouTube-VOS checkpoint (train the config below first).
_base_ = [
    '../_base_/models/rvos-st_r101.py', '../_base_/datasets/davis_2017.py',
    '../_base_/schedules/adam_rvos_20e-gt_20e-pred.py', '../_base_/vos_runtime.py'
]
load_from = 'work_dirs/rvos-mask-st_r101_youtube-vos-256x448_oneshot/epoch_40.pth'
model = dict(backbone=dict(init_cfg=None))  # the checkpoint holds the encoder
train_cfg = dict(max_epochs=20, val_interval=5)
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_epoch=10)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
