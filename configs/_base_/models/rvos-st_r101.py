# RVOS-Mask-ST (thesis sec. 3.3) exactly as imatge-upc/rvos builds it (src/modules/model.py,
# the published models' architecture: tools/model_converters/rvos_to_mmsegsup.py writes this
# model): ImageNet ResNet-101 run once per frame; 4 ConvLSTM levels on x5..x2 (hidden
# 128/64/32/16, 3x3), 3x3 skip convs + BN without ReLU (128/128/64/32 channels), concat fusion,
# align_corners=True upsampling, a final x2 upsample and 3x3 conv_out (masks at 1/2 of the
# input); the previous mask max-pooled (2x2, ceil) per level; spatial + temporal recurrence
# wired as the original (protocol='original': object id i at step i-1 of all 10 maxseqlen
# steps, soft previous masks, late objects injected into their slot). Class / stop branches
# are off as in the thesis's VOS experiments. Our variant decoder (3 levels, 1x1 projections,
# binarised previous masks, slots in order of appearance) is
# configs/rvos/rvos-mask-st_r101_youtube-vos-256x448_oneshot_mmsegsup-decoder.py.
# Trained as imatge-upc/rvos trains:
# - frames fed at the training size, unpadded (dataset.py:126-132: resize, ToTensor, normalise);
# - the encoder in train mode, its BatchNorm included, with batch statistics over the 4 frames
#   that one call encodes (train_previous_mask.py:78-84 encoder.train(True), one encoder call
#   per frame of the clips, :280-297; bn1 and the blocks' BN are in its optimiser,
#   utils/utils.py:34-52): norm_eval=False, encode_per_frame=True;
# - sIoU without smoothing (utils/hungarian.py:62-85: iou = sum(p*g) / (sum(p+g-p*g) + 1e-6)),
#   so an object absent from a frame adds a constant and no gradient; our variant smooth=1.0
#   makes it pull the prediction towards empty;
# - the loss of a clip: per frame the sIoU mean over the valid slots, summed over its frames
#   (train_previous_mask.py:140-147).
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
        decoder=dict(type='RecurrentMaskDecoder', hidden_channels=(128, 64, 32, 16),
                     skip_channels=(128, 128, 64, 32), kernel_size=3, proj_kernel_size=3,
                     proj_norm=True, align_corners=True, final_upsample=True,
                     mask_kernel_size=3, use_levels=(0, 1, 2, 3), extra_input_mode='maxpool',
                     pooling=('max', )),
        recurrence='ST',
        one_shot=True,
        num_slots=10,  # maxseqlen = gt_maxseqlen (args.py:42-43)
        protocol='original',
        train_valid='video',  # YouTube-VOS: every object of the video counts (sw_mask)
        # zero-shot training (train.py:136-157): munkres 1.0.12 as the original, whose
        # choice among equal-cost padding pairs decides which slot a late object's rows go to
        matcher=dict(type='HungarianMaskMatcher', solver='munkres'),
        loss_mask=dict(type='SoftIoULoss', smooth=0.0),
        test_cfg=dict(mask_thr=0.5)))
