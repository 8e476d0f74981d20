# The CPU schedule of the mmseg-family configs on the bundled synthetic data (DeepLabV3+,
# RefVOS): 1000 iterations of AdamW 3e-3 (weight decay 1e-4), gradients clipped at norm 10, a
# linear warm-up over 50 iterations, then poly 0.9 down to 1e-5; validation once, at the end.
# As mmseg's schedules, it holds the iteration-based hooks (mmseg's default_runtime has none):
# a checkpoint every 500 iterations, the last 2 kept. A config of another length sets
# max_iters, train_cfg and param_scheduler again (a base's values are computed before the
# child's max_iters is read).
max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, by_epoch=False, begin=50, end=max_iters)
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
