# RVOS-Mask-ST (thesis sec. 3.3): ImageNet ResNet-101 encoder run once per frame, hierarchical
# ConvLSTM decoder without the skip from the earliest level, spatial + temporal recurrence,
# previous-frame mask as an extra input (one-shot). Class / stop branches are off as in the
# thesis's VOS experiments (num_classes / with_stop turn them on).
# Trained as imatge-upc/rvos trains:
# - frames fed at the training size, unpadded (dataset.py:126-132: resize, ToTensor, normalise);
# - the encoder in train mode, its BatchNorm included, with batch statistics over the 4 frames
#   that one call encodes (train_previous_mask.py:78-84 encoder.train(True), one encoder call
#   per frame of the clips, :280-297; bn1 and the blocks' BN are in its optimiser,
#   utils/utils.py:34-52): norm_eval=False, encode_per_frame=True;
# - sIoU without smoothing (utils/hungarian.py:62-85: iou = sum(p*g) / (sum(p+g-p*g) + 1e-6)),
#   so an object absent from a frame adds a constant and no gradient; our variant smooth=1.0
#   makes it pull the prediction towards empty.
model = dict(
    type='RVOS',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=1,
        pad_mask=True),
    encode_per_frame=True,
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
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
        loss_mask=dict(type='SoftIoULoss', smooth=0.0),
        test_cfg=dict(mask_thr=0.5)))
