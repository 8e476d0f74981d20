# RefVOS fine-tuned on DAVIS-2017 referring expressions from a RefCOCO model (thesis 6.6):
# lr 1e-3 decreasing 1e-5 per epoch for 20 epochs (epoch e: 1e-3 - 1e-5 e, 1.00e-3 ...
# 0.81e-3), SGD momentum 0.9, weight decay 1e-6, batch 7, 480x480; J&F on DAVIS-2017 val.
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/davis_refer.py',
    'mmseg::_base_/default_runtime.py'
]
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)

# all weights come from the RefCOCO checkpoint: no ImageNet init needed
model = dict(backbone=dict(init_cfg=None))
load_from = 'work_dirs/refvos_r101_refcoco-480x480/best_overall_iou.pth'

max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-6))
param_scheduler = [
    # factor 1 - 0.01 e of 1e-3 over epochs 0-19
    dict(type='LinearLR', start_factor=1.0, end_factor=1.0 - 0.01 * (max_epochs - 1),
         begin=0, end=max_epochs, by_epoch=True),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=3,
                    save_best='davis/J&F-Mean', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
