# W-RSIS, the BASIS annotation network for IL+C weak labels (thesis ch. 4.6.1), in the thesis
# setting of RSIS on Pascal VOC 2012 + SBD: 256x256 images, ImageNet ResNet-101 encoder, Adam.
# Training feeds the ground-truth classes as tokens. Evaluation on val takes the IL+C labels
# of its COCO json (written by tools/dataset_converters/voc_sbd_to_coco.py, see _base_); to
# pseudo-label a weakly labeled split, give its weak-label json instead:
#   python tools/dataset_converters/coco_to_weak_labels.py ANN.json WEAK.json
#   dict(type='LoadWeakLabels', weak_file='WEAK.json', classes=voc_classes)
_base_ = ['../rsis/rsis_r101_voc-sbd_256x256.py']

model = dict(head=dict(type='WRSISHead'))

data_root = 'data/'  # as in _base_
image_size = (256, 256)
voc_classes = {{_base_.val_dataloader.dataset.metainfo.classes}}
# Annotations before the resize: validation by the losses needs them at the input size.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckImageAnnotations'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='LoadWeakLabels', ann_file=data_root + 'voc_sbd/annotations/instances_val.json',
         weak_type='labels+counts', classes=voc_classes),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'weak_tokens', 'weak_counts')),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# W-RSIS has the sIoU loss only (WRSISHead): no term to switch on; the recipe's early stopping
# by patience stays (imatge-upc/rsis src/train.py:440-448, 500-502).
custom_hooks = [dict(type='LossSwitchHook', switches=[], monitor='val_loss', patience_stop=60)]
