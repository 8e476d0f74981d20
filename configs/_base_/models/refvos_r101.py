# RefVOS as the original code builds it (miriambellver/refvos; the published checkpoints'
# model, issue 14): the converter of published checkpoints writes this model with only the
# checkpoint's token limit, tokenizer and BERT changed (thesis_refvos_cfg of
# mmsegsup/models/converters/refvos.py), which the equality tests check against the original's
# outputs. Our variant: configs/_base_/models/refvos_r101_mmsegsup.py.
# * backbone: torchvision resnet101 with replace_stride_with_dilation=[False, True, True]
#   (lib/segmentation.py:17-25) = mmseg ResNet (7x7 stem), style pytorch, strides (1,2,1,1),
#   dilations (1,1,2,4), contract_dilation; ImageNet weights of torchvision
#   (pretrained_backbone=True, segmentation.py:15; 'torchvision://' needs torchvision).
# * head: DeepLabHeadEmb (lib/deeplabv3_emb.py:30-140): ASPP 1x1 + 12/24/36 + image pooling
#   (last), 1x1 project + BN + ReLU + Dropout(0.5); sentence Linear(768, 256) + BatchNorm1d;
#   product; 1x1 + BN + ReLU + Dropout(0.5), 3x3 + BN + ReLU, 1x1 to 2 classes. No aux head
#   (it cannot be built, FORMAT.md 2). Loss F.cross_entropy(ignore_index=255), mean over the
#   pixels kept (train.py:118-127) = avg_non_ignore.
# * sentence: BERT-base's [CLS] of the last hidden state (train.py:252-255), tokens sliced at
#   20 (RefCOCO(+), dataset_refer_bert.py:41; A2D / DAVIS configs: 10), BERT in eval mode
#   while fine-tuned (never .train(), FORMAT.md 3), only encoder layers 0-9 optimised
#   (train.py:361-375): the embeddings (fixed_prefixes) and the layers from 10 on
#   (trained_layers: 10-11 of BERT-base, whatever a BERT has) never change.
norm_cfg = dict(type='BN', requires_grad=True)
crop_size = (480, 480)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # torchvision's ImageNet mean / std (transforms.py:95-102)
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)  # training only (the pipeline pads already); test at the image's size
model = dict(
    type='RefVOS',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        style='pytorch',
        contract_dilation=True,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')),
    decode_head=dict(
        type='RefASPPHead',
        fusion='mul',
        in_channels=2048,
        in_index=0,
        channels=256,
        dilations=(1, 12, 24, 36),
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        pool_last=True,
        bottleneck_kernel=1,
        bottleneck_dropout=0.5,
        text_norm_cfg=dict(type='BN1d'),
        post_fusion=((1, 0.5), (3, 0.0)),
        dropout_ratio=0.0,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True)),
    # text_channels of the head come from the encoder (768 for BERT-base)
    text_encoder=dict(
        type='HFTextEncoder', model_name_or_path='bert-base-uncased', pooling='cls',
        frozen=False, eval_mode=True, truncation='slice', max_length=20,
        attn_implementation='eager',
        fixed_prefixes=('embeddings.', ), trained_layers=10),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
