# RefVOS sized for a laptop CPU, on the bundled synthetic referring shapes (64x64): a
# ResNetV1c-18 at output stride 8 from random init (16 channels in the stem's last conv, 8
# base channels: the file name keeps the family's "r18-c16"), ASPP rates scaled to the 8x8
# feature map, the sentence from the bundled MiniLM (offline), frozen with mean pooling, fused
# by element-wise product. Frozen, the encoder memoises its embeddings: each of the ~900
# training sentences is encoded once, so after the first epoch an iteration costs only the
# small visual network. Iteration-based; the per-expression CSV goes to work_dirs/.
_base_ = [
    '../_base_/models/refvos_r101_mmsegsup.py', '../_base_/datasets/referring_shapes.py',
    '../_base_/schedules/adamw_poly_cpu_1000i.py', '../_base_/seg_runtime.py'
]

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

# 1500 iterations of the CPU schedule, one checkpoint at the end
max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, by_epoch=False, begin=50, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
val_evaluator = dict(type='ReferringMetric', csv_file='work_dirs/refvos_shapes_expressions.csv')
test_evaluator = val_evaluator
env_cfg = dict(cudnn_benchmark=False)
