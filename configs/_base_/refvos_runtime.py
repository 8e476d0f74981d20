# Runtime of the RefVOS configs: epoch-based logging, a checkpoint per epoch, the best one
# kept by mean IoU (the original keeps the epoch of the best validation IoU, a per-sample
# mean, train.py:186-197, 427-453); our variants select by overall IoU.
_base_ = 'mmseg::_base_/default_runtime.py'
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=3,
                    save_best='mean_iou', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
