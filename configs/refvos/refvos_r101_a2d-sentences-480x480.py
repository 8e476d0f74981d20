# RefVOS on A2D-Sentences (thesis 6.6): ImageNet-initialised DeepLabv3 ResNet-101 + BERT-base,
# 480x480, batch 7, SGD momentum 0.9, weight decay 1e-6; lr 0.1 decreasing 0.004 per epoch
# for 15 epochs (epoch e, 0-based: 0.1 - 0.004 e, i.e. 0.100 ... 0.044).
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/a2d_sentences.py',
    'mmseg::_base_/default_runtime.py'
]
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)

max_epochs = 15
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-6))
param_scheduler = [
    # factor 1 - 0.04 e of 0.1 over epochs 0-14
    dict(type='LinearLR', start_factor=1.0, end_factor=1.0 - 0.04 * (max_epochs - 1),
         begin=0, end=max_epochs, by_epoch=True),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=3,
                    save_best='overall_iou', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
