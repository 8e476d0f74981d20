# Our variant of RefVOS (the thesis prose, not the published code: the original code's model
# is configs/_base_/models/refvos_r101.py), used by configs/refvos/*_mmsegsup.py.
# RefVOS (thesis 6.3): DeepLabv3 (ResNet-101 at output stride 8, ASPP rates 1/12/24/36,
# 256 channels) whose ASPP features are multiplied element-wise by a Linear projection of the
# sentence's BERT [CLS] embedding, then a 2-class (background, referent) 1x1 classifier.
# The thesis uses torchvision's DeepLabv3 (ImageNet ResNet-101, strides (1,2,1,1), dilations
# (1,1,2,4)); here mmseg's ResNetV1c-101 with its standard ImageNet weights, as mmseg's own
# DeepLabv3 configs do. No auxiliary head (the thesis trains the decode loss only).
norm_cfg = dict(type='BN', requires_grad=True)
crop_size = (480, 480)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='RefVOS',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNetV1c',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')),
    decode_head=dict(
        type='RefASPPHead',
        fusion='mul',
        in_channels=2048,
        in_index=3,
        channels=256,
        dilations=(1, 12, 24, 36),
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    # text_channels of the head come from the encoder (768 for BERT-base)
    text_encoder=dict(
        type='HFTextEncoder', model_name_or_path='bert-base-uncased', pooling='cls',
        frozen=False, max_length=40),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
