# Mixing with mmdet: inherit mmdet's Swin-T Mask R-CNN config (its backbone, COCO data and
# runtime) and replace the detector by RSIS on the same Swin-T levels. Needs data/coco/ and,
# for the ImageNet weights named by mmdet's config, their file in your cache.
_base_ = 'mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py'
default_scope = 'mmsegsup'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='RSIS',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    head=dict(
        type='RSISHead',
        num_classes=80,
        in_channels=[96, 192, 384, 768],
        decoder=dict(type='RecurrentMaskDecoder', hidden_channels=(128, 128, 64, 32)),
        max_steps=20),
    test_cfg=dict(stop_thr=0.5, mask_thr=0.5, score='cls_stop'))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}),
    clip_grad=dict(max_norm=10.0, norm_type=2))
val_evaluator = dict(metric=['segm'])
test_evaluator = val_evaluator
