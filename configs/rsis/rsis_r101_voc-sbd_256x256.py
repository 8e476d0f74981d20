# Thesis setting for RSIS on Pascal VOC 2012 + SBD (sec. 4.6-4.7): 256x256 images, ImageNet
# ResNet-101 encoder, batch 60 (4 GPUs), trained with the recipe of imatge-upc/rsis, the code the
# thesis used (sec. 4.7): Adam 1e-3 / 1e-6, the loss schedule and early stopping of
# ../_base_/schedules/adam_rsis.py, and the loss weights, BN and data below.
_base_ = [
    '../_base_/models/rsis_r101.py', '../_base_/datasets/voc_sbd_instance.py',
    '../_base_/schedules/adam_rsis.py', '../_base_/default_runtime.py'
]
# The architecture of imatge-upc/rsis (modules/model.py, vision.py; the published models':
# tools/model_converters/rsis_to_mmsegsup.py writes this model): five levels, conv1's
# output at 1/2 before the max-pool included (ResNetWithStem); ConvLSTMs of 128/64/32/16/8
# channels (3x3), 3x3 skip convs + BN without ReLU, align_corners=True upsampling, a final x2
# upsample + 3x3 conv_out; class (softmax over 21: <eos> + the 20 VOC classes) and stop heads
# on the global max of each level's hidden state; no box branch. Testing keeps eval.py's rule
# (every step with stop >= 0.5, no early stop, masks > 0.5 covering >= 0.001 of the image,
# once per class scored p(class) x p(stop); args.py:137-141). Our variant (4 levels, 1x1
# projections, box branch, 20 classes, first-stop rule) is ../_base_/models/rsis_r101.py, as
# configs/rsis/rsis_r101_voc-sbd_256x256_mmsegsup-decoder.py.
model = dict(
    # The original feeds its batches unpadded (dataset.py resizes to imsize x imsize, the
    # DataLoader stacks): no padding to a multiple of 32, which at other input sizes would change
    # the encoder's input and the size the masks and the sIoU are computed at (train.py:96-108).
    data_preprocessor=dict(pad_size_divisor=1),
    # The encoder runs in training mode (encoder.train(True), src/train.py:72): its BN
    # statistics follow the data.
    backbone=dict(type='ResNetWithStem', norm_eval=False),
    test_cfg=dict(_delete_=True, rule='original', stop_thr=0.5, mask_thr=0.5, min_size=0.001),
    head=dict(
        num_classes=21,
        eos_class=True,
        in_channels=[64, 256, 512, 1024, 2048],
        decoder=dict(_delete_=True, type='RecurrentMaskDecoder',
                     hidden_channels=(128, 64, 32, 16, 8), skip_channels=(128, 128, 64, 32, 16),
                     kernel_size=3, proj_kernel_size=3, proj_norm=True, align_corners=True,
                     final_upsample=True, mask_kernel_size=3, pooling=('max', )),
        max_steps=10,  # maxseqlen (args.py:30)
        with_bbox=False,
        align_corners=True,
        # total = iou_weight 1 x sIoU + class_weight 0.1 x NLL + stop_weight 0.5 x balanced
        # BCE (args.py:90-93; train.py:171-176). The NLL of the softmax (hungarian.py:10-32)
        # is mmdet's cross-entropy on the logits. The stop BCE weighs positives by
        # 1 - stop_balance_weight and negatives by it (hungarian.py:34-59, train.py:267).
        loss_mask=dict(type='SoftIoULoss', loss_weight=1.0),
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=0.1),
        loss_stop=dict(_delete_=True, type='BalancedBCELoss', balance_weight=0.5,
                       loss_weight=0.5)))
# Terms still switched off have no gradient, so DDP must allow unused parameters.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)

# Data as train_pascal.sh reads it: --resize to 256 x 256 (dataset.py:50-51, masks nearest,
# dataset_utils.py:133-140) and no augmentation (no --augment, args.py:95-96: no flip,
# pascal.py:45, no affine, pascal.py:46-54); shuffled batches with drop_last (train.py:46-49).
image_size = (256, 256)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckImageAnnotations'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(batch_sampler=None, drop_last=True,
                        dataset=dict(pipeline=train_pipeline))
# Validation is by the training losses (the patience rules watch their sum, train.py:340-448),
# on batches like the training ones (batch_size and drop_last for both splits, train.py:31-49),
# with the annotations at the input size. The COCO evaluation is the test's (test_dataloader,
# test_evaluator of _base_), as the original's is eval.py's.
val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckImageAnnotations'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
val_dataloader = dict(batch_size=15, drop_last=True, dataset=dict(pipeline=val_pipeline))
val_evaluator = []  # the losses are the scores (LossValLoop, ../_base_/schedules/adam_rsis.py)
# Validation every epoch for up to 4000 epochs: keep the latest checkpoint only (the best one is
# LossSwitchHook's best_val_loss.pth).
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
