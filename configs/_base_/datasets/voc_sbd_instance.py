# Pascal VOC 2012 + SBD instances (thesis sec. 4.6): train on train_aug (10582 images) read from
# the original PNG/.mat files, evaluate on val (1449) through the COCO json written once by
#   python tools/dataset_converters/voc_sbd_to_coco.py --voc-root data/VOCdevkit/VOC2012 \
#       --split val --out data/voc_sbd/annotations/instances_val.json
data_root = 'data/'
image_size = (256, 256)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckImageAnnotations'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckImageAnnotations'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=15,  # x 4 GPUs = 60, the thesis batch
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type='VOCSBDInstanceDataset', data_root=data_root,
                 voc_root='VOCdevkit/VOC2012', sbd_root='SBD', split='train_aug',
                 filter_cfg=dict(filter_empty_gt=True, min_size=0), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CheckedCocoDataset', data_root=data_root,
                 ann_file='voc_sbd/annotations/instances_val.json',
                 data_prefix=dict(img='VOCdevkit/VOC2012/JPEGImages/'),
                 metainfo=dict(classes=(
                     'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
                     'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
                     'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')),
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric',
                     ann_file=data_root + 'voc_sbd/annotations/instances_val.json',
                     metric=['segm'], format_only=False)
test_evaluator = val_evaluator
