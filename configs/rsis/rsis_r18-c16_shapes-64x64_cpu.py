# RSIS sized for a laptop CPU: a ResNet-18 with 16 base channels, from random init, on the
# bundled synthetic shapes (64x64). Trains in a few minutes on 2 cores; see benchmarks/README.md.
_base_ = [
    '../_base_/models/rsis_r101.py', '../_base_/datasets/shapes_instance.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(depth=18, base_channels=16, norm_eval=False, init_cfg=None),
    head=dict(num_classes=3, in_channels=[16, 32, 64, 128],
              decoder=dict(hidden_channels=(64, 64, 32, 32)), max_steps=6))

max_iters = 1500
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
log_processor = dict(by_epoch=False)
