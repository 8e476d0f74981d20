# RSIS (thesis sec. 3.3.1): ImageNet ResNet-101 encoder, skip connections from its four levels,
# hierarchical ConvLSTM decoder, class / box / stop branches, sIoU under Hungarian matching.
model = dict(
    type='RSIS',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_mask=True),
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')),
    head=dict(
        type='RSISHead',
        num_classes=20,
        in_channels=[256, 512, 1024, 2048],
        decoder=dict(type='RecurrentMaskDecoder', hidden_channels=(128, 128, 64, 32)),
        max_steps=10,
        matcher=dict(type='HungarianMaskMatcher'),
        loss_mask=dict(type='SoftIoULoss', loss_weight=1.0),
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        loss_bbox=dict(type='MSELoss', loss_weight=1.0),
        loss_stop=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    test_cfg=dict(stop_thr=0.5, mask_thr=0.5, score='cls_stop'))
