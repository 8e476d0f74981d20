# RVOS-Mask-ST (thesis sec. 3.3): ImageNet ResNet-101 encoder run once per frame, hierarchical
# ConvLSTM decoder without the skip from the earliest level, spatial + temporal recurrence,
# previous-frame mask as an extra input (one-shot). Class / stop branches are off as in the
# thesis's VOS experiments (num_classes / with_stop turn them on).
model = dict(
    type='RVOS',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
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
        type='RVOSHead',
        in_channels=[256, 512, 1024, 2048],
        decoder=dict(type='RecurrentMaskDecoder', hidden_channels=(128, 64, 32),
                     use_levels=(1, 2, 3), pooling=('max', )),
        recurrence='ST',
        one_shot=True,
        num_slots=10,
        matcher=dict(type='HungarianMaskMatcher'),
        loss_mask=dict(type='SoftIoULoss', smooth=1.0),
        test_cfg=dict(mask_thr=0.5)))
