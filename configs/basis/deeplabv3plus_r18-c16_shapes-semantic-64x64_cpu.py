# The BASIS semantic student sized for a laptop CPU: mmseg's DeepLabV3+ (stock model config)
# on a ResNetV1c-18 with 16 base channels, from random init (plain BN), on the bundled
# synthetic shapes (64x64, output stride 8, ASPP dilations scaled to an 8x8 feature map).
# 1000 iterations take about 80 s on 2 CPU cores and reach about 94 mIoU on the val split.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', '../_base_/datasets/shapes_semantic.py',
    '../_base_/schedules/adamw_poly_cpu_1000i.py', '../_base_/seg_runtime.py'
]

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
env_cfg = dict(cudnn_benchmark=False)
