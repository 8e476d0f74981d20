# RefCOCO (UNC splits) in the refer toolkit layout (see mmsegsup/datasets/refcoco.py):
# <data_root>/refcoco/{instances.json, refs(unc).p or .json} and the COCO train2014 images
# under <data_root>/images/mscoco/images/train2014. One sample per sentence; 480x480 as in
# the thesis (6.6). No random flip: it would break "left" / "right".
# RefCOCO+ / RefCOCOg: override refer_dataset / split_by (configs/refvos/*refcoco+*, *refcocog*).
dataset_type = 'RefCOCODataset'
data_root = 'data/refer/'
refer_dataset = 'refcoco'
split_by = 'unc'
image_scale = (480, 480)
referring_meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                       'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
                       'expression', 'expr_id', 'video', 'frame_id', 'trivial', 'object_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferringMask'),
    dict(type='Resize', scale=image_scale, keep_ratio=False),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=False),
    dict(type='LoadReferringMask'),  # after Resize: metrics compare at the original size
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
train_dataloader = dict(
    batch_size=7,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, dataset=refer_dataset,
                 split_by=split_by, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, dataset=refer_dataset,
                 split_by=split_by, split='val', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader  # testA / testB: --cfg-options test_dataloader.dataset.split=testA
val_evaluator = dict(type='ReferringMetric')
test_evaluator = val_evaluator
