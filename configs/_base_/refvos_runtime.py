# Runtime of the RefVOS configs: epoch-based logging, a checkpoint per epoch, the best one
# kept by mean IoU (the original keeps the epoch of the best validation IoU, a per-sample
# mean, train.py:186-197, 427-453); our variants select by overall IoU. One difference is
# left: the original validates on images resized to a shorter side of 520 with one random
# sentence per ref (train.py:98-114, 293-307); the thesis configs validate with the test
# protocol (own resolution, every sentence), so the epoch they keep may differ.
_base_ = './seg_runtime.py'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=3,
                    save_best='mean_iou', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
