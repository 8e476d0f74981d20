# A2D-Sentences (see mmsegsup/datasets/a2d_sentences.py for the layout: Release/videoset.csv,
# Release/pngs320H/<vid>/<NNNNN>.png frames, text_annotations/...). One sample per
# (sentence, annotated frame); the thesis trains and tests at 480x480 frame by frame.
dataset_type = 'A2DSentencesDataset'
data_root = 'data/a2d_sentences/'
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
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferringMetric')  # overall / mean IoU, prec@K, trivial / non-trivial
test_evaluator = val_evaluator
