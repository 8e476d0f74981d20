# DAVIS-2017 with referring expressions (Khoreva et al.; layout in
# mmsegsup/datasets/davis_refer.py). Trains on annotator 1's first-frame expressions of the
# train videos; validation segments every frame of the val videos, one object per expression,
# merges the objects of each frame and scores J&F with the DAVIS protocol.
dataset_type = 'DAVISReferDataset'
data_root = 'data/DAVIS/'
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
    dict(type='LoadReferringMask'),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
train_dataloader = dict(
    batch_size=7,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 expressions='first_frame', annotator=1, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val',
                 expressions='first_frame', annotator=1, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferringDAVISMetric', data_root=data_root, split='val')
test_evaluator = val_evaluator
