# The BASIS semantic student sized for a laptop CPU: mmseg's DeepLabV3+ (stock model config)
# on a ResNetV1c-18 with 16 base channels, from random init (plain BN), on the bundled
# synthetic shapes (64x64, output stride 8, ASPP dilations scaled to an 8x8 feature map).
# 1000 iterations take about 80 s on 2 CPU cores and reach about 94 mIoU on the val split.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/shapes_semantic.py',
    'mmseg::_base_/default_runtime.py'
]
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)

num_classes = 4  # background + SHAPE_CLASSES
crop_size = (64, 64)  # images are not cropped: this only fixes the padded batch size
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=128, channels=64, dilations=(1, 2, 4, 6), c1_in_channels=16,
                     c1_channels=16, num_classes=num_classes, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=32, num_classes=num_classes,
                        norm_cfg=norm_cfg))

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
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
