# The embedded default for referring segmentation: synthetic referring shapes (64x64 images,
# 2-4 coloured shapes, one sentence per object, half of the objects sharing their class so
# the class word alone is ambiguous: the non-trivial expressions), generated on first use.
# mmseg scope. No random flip: it would break "left" / "right".
dataset_type = 'ReferringShapesDataset'
data_root = 'data/referring_shapes/'
image_size = 64
referring_meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                       'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
                       'expression', 'expr_id', 'video', 'frame_id', 'trivial', 'object_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferringMask'),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferringMask'),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', num_images=1000,
                 seed=0, size=image_size, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', num_images=100, seed=1,
                 size=image_size, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferringMetric')
test_evaluator = val_evaluator
