# YouTube-VOS 2018/2019 (youtube-vos.org; download it yourself into data/youtube-vos/ with
# train/ and valid/ as distributed). Frames and masks resized to 256x448 (thesis sec. 3.5),
# training clips of 5 consecutive annotated frames, 4 clips per batch. The thesis's ablations
# train on 80% of train and validate on the other 20%: make the split files once with
#   python tools/dataset_converters/youtube_vos_split.py data/youtube-vos
# Testing on `valid` writes the server's submission (Annotations/ + submission.zip).
dataset_type = 'YouTubeVOSDataset'
data_root = 'data/youtube-vos/'
clip_frames = 5

train_pipeline = [
    dict(type='VideoClipSample', num_frames=clip_frames),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadVideoObjectAnnotations'),
        dict(type='Resize', scale=(448, 256), keep_ratio=False),
        dict(type='RandomFlip', prob=0.5),
    ]),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(type='VideoClipSample', num_frames=None),  # whole videos
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadVideoObjectAnnotations'),
        dict(type='Resize', scale=(448, 256), keep_ratio=False),
    ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', 'frame_name', 'ann_path')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 video_list='train/splits/train-80.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 video_list='train/splits/val-20.txt', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='valid', test_mode=True,
                 pipeline=test_pipeline))
# Held-out 20% of train: seen = categories of the other 80%.
val_evaluator = dict(type='YouTubeVOSMetric', data_root=data_root, split='train',
                     train_meta=data_root + 'train/meta.json')
# valid: ground truth is on the server; write the submission.
test_evaluator = dict(type='YouTubeVOSMetric', data_root=data_root, split='valid',
                      format_only=True, zip_submission=True,
                      outfile_dir='work_dirs/youtube_vos_valid_submission')
