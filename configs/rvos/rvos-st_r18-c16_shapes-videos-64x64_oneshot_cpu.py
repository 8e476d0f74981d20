# One-shot RVOS-ST sized for a CPU: ResNet-18 with 16 base channels from random init, on the
# bundled synthetic videos (64x64), clips of 5 frames; ground-truth previous masks for the
# first half, the model's own afterwards (the curriculum of RVOS-Mask-ST+).
_base_ = ['../_base_/datasets/shapes_videos_oneshot.py', '../_base_/vos_runtime.py']

model = dict(
    type='RVOS',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True),
    backbone=dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                  out_indices=(0, 1, 2, 3), norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', init_cfg=None),
    head=dict(
        type='RVOSHead',
        in_channels=[16, 32, 64, 128],
        decoder=dict(type='RecurrentMaskDecoder', hidden_channels=(64, 32, 32),
                     use_levels=(1, 2, 3), pooling=('max', )),
        recurrence='ST',
        one_shot=True,
        loss_mask=dict(type='SoftIoULoss', smooth=1.0)))

max_iters = 1200
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-3, weight_decay=0.0),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2))
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_iter=max_iters // 2)]
log_processor = dict(by_epoch=False)
