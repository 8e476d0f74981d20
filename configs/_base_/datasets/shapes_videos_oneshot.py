# Synthetic moving shapes in the DAVIS-2017 layout, generated on first use (no download).
dataset_type = 'ShapesVideoDataset'
data_root = 'data/shapes_videos/'
clip_frames = 5

train_pipeline = [
    dict(type='VideoClipSample', num_frames=clip_frames),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadVideoObjectAnnotations'),
        dict(type='RandomFlip', prob=0.5),
    ]),
    # video_object_ids: all objects of a YouTube-VOS-layout video (what the original protocol's
    # loss counts, RVOSHead train_valid='video'); DAVIS-layout data has none
    dict(type='PackTrackInputs', meta_keys=('video_object_ids', )),
]
test_pipeline = [
    dict(type='VideoClipSample', num_frames=None),  # whole videos
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadVideoObjectAnnotations'),
    ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', 'frame_name', 'ann_path')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', num_videos=200,
                 num_frames=12, seed=0, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', num_videos=20,
                 num_frames=12, seed=0, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DAVISMetric', davis_root=data_root, split='val',
                     task='semi-supervised')
test_evaluator = val_evaluator
