# RefVOS sized for a laptop CPU, on the bundled synthetic referring shapes (64x64): a
# ResNetV1c-18 at output stride 8 from random init (16 channels in the stem's last conv, 8
# base channels: the file name keeps the family's "r18-c16"), ASPP rates scaled to the 8x8
# feature map, the sentence from the bundled MiniLM (offline), frozen with mean pooling, fused
# by element-wise product. Frozen, the encoder memoises its embeddings: each of the ~900
# training sentences is encoded once, so after the first epoch an iteration costs only the
# small visual network. Iteration-based; the per-expression CSV goes to work_dirs/.
_base_ = [
    '../_base_/models/refvos_r101_mmsegsup.py', '../_base_/datasets/referring_shapes.py',
    'mmseg::_base_/default_runtime.py'
]
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)

crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(depth=18, stem_channels=16, base_channels=8, norm_cfg=norm_cfg,
                  init_cfg=None),
    decode_head=dict(in_channels=64, channels=32, dilations=(1, 2, 4, 6), dropout_ratio=0.0,
                     norm_cfg=norm_cfg),
    text_encoder=dict(model_name_or_path='minilm-offline', pooling='mean', frozen=True,
                      cache_size=8192))

train_dataloader = dict(dataset=dict(num_images=300))
val_dataloader = dict(dataset=dict(num_images=60))
test_dataloader = val_dataloader

max_iters = 1500
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
val_evaluator = dict(type='ReferringMetric', csv_file='work_dirs/refvos_shapes_expressions.csv')
test_evaluator = val_evaluator
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
