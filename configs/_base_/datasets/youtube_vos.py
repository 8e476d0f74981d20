# YouTube-VOS 2018/2019 (youtube-vos.org; download it yourself into data/youtube-vos/ with
# train/ and valid/ as distributed), with the data recipe of imatge-upc/rvos:
# - frames and masks resized to 256x448 (train_previous_mask.py:57, inputRes=(256,448)) with
#   PIL as the original (PIL decoding without EXIF rotation, then scipy imresize = PIL
#   bilinear for the frame and nearest for the ids, dataset.py:121-128): image_backend
#   'pillow', bit for bit the original's frames and masks
#   (tests/test_datasets/test_original_data_equal.py). Our variant: image_backend = 'cv2'
#   (OpenCV decoding and resizing, faster): frames then differ by 1 grey level where
#   upsampling and by up to ~20 where shrinking (no antialiasing), masks by a pixel along
#   borders, and a thin object can survive the resize in one and not the other;
# - every video cut into floor(frames / 5) consecutive clips of 5 frames, all used every epoch
#   (VideoClipsDataset; youtubeVOS.py:104-119), 4 clips per batch, shuffled, the last
#   incomplete batch dropped (scripts/train_one_shot_youtube.sh -batch_size=4 -length_clip=5;
#   train_previous_mask.py:62-65);
# - per clip, one horizontal flip (p 0.5) and one random affine (rotation 10 deg, translation
#   0.1, shear 0.1 deg, zoom 0.7-1.4 per axis, nearest), the same for all its frames
#   (--augment; dataset.py:102-151, youtubeVOS.py:55-68, args.py:88-93);
# - every object of the video counts in each frame's loss, present or not (video_object_ids,
#   the original's sw_mask from meta.json: dataset.py:222-229);
# - model selection on held-out train videos by the training loss on their clips (no
#   augmentation; train_previous_mask.py:35-47, 346-351), see LossValLoop in the schedule.
# The original trains on its train-train partition and selects on train-val (README "Data":
# train-train-meta.json, train-val-meta.json). Write their video lists once with
#   python tools/dataset_converters/youtube_vos_split.py data/youtube-vos \
#       --from-meta train-train-meta.json train-val-meta.json
# or make our own seeded 80/20 split (train-80.txt / val-20.txt) without --from-meta and point
# train_videos / val_videos at those.
# Testing on `valid` writes the server's submission (Annotations/ + submission.zip).
dataset_type = 'YouTubeVOSDataset'
data_root = 'data/youtube-vos/'
train_videos = 'train/splits/train-train.txt'
val_videos = 'train/splits/train-val.txt'
clip_frames = 5
img_scale = (448, 256)  # (w, h)
image_backend = 'pillow'  # 'cv2': our variant (see above)
load_frame = dict(type='LoadImageFromFile', imdecode_backend=image_backend,
                  color_type='color_ignore_orientation')

train_pipeline = [
    dict(type='VideoClipSample', num_frames=clip_frames),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        load_frame,
        dict(type='LoadVideoObjectAnnotations'),
        dict(type='Resize', scale=img_scale, keep_ratio=False, backend=image_backend),
        dict(type='RandomFlip', prob=0.5),
        dict(type='TorchsampleRandomAffine', rotation_range=10, translation_range=0.1,
             shear_range=0.1, zoom_range=(0.7, 1.4)),
    ]),
    dict(type='PackTrackInputs', meta_keys=('video_object_ids', )),
]
val_clip_pipeline = [
    dict(type='VideoClipSample', num_frames=clip_frames),
    dict(type='TransformBroadcaster', transforms=[
        load_frame,
        dict(type='LoadVideoObjectAnnotations'),
        dict(type='Resize', scale=img_scale, keep_ratio=False, backend=image_backend),
    ]),
    dict(type='PackTrackInputs', meta_keys=('video_object_ids', )),
]
test_pipeline = [
    dict(type='VideoClipSample', num_frames=None),  # whole videos
    dict(type='TransformBroadcaster', transforms=[
        load_frame,
        dict(type='LoadVideoObjectAnnotations'),
        dict(type='Resize', scale=img_scale, keep_ratio=False, backend=image_backend),
    ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', 'frame_name', 'ann_path')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VideoClipsDataset', clip_len=clip_frames,
                 dataset=dict(type=dataset_type, data_root=data_root, split='train',
                              video_list=train_videos, pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoClipsDataset', clip_len=clip_frames,
                 dataset=dict(type=dataset_type, data_root=data_root, split='train',
                              video_list=val_videos, pipeline=val_clip_pipeline)))
val_evaluator = []  # LossValLoop: the validation losses are the scores
# Our variant: J&F of whole held-out videos with the one-shot protocol (seen = categories of
# the training videos). Use it in an inheriting config with val_cfg = dict(type='ValLoop'),
# val_dataloader = {{_base_.video_val_dataloader}},
# val_evaluator = {{_base_.video_val_evaluator}}, and save_best='youtube_vos/J&F' (rule
# 'greater') in default_hooks.checkpoint.
video_val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 video_list=val_videos, test_mode=True, pipeline=test_pipeline))
video_val_evaluator = dict(type='YouTubeVOSMetric', data_root=data_root, split='train',
                           train_meta=data_root + 'train/meta.json')
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='valid', test_mode=True,
                 pipeline=test_pipeline))
# valid: ground truth is on the server; write the submission.
test_evaluator = dict(type='YouTubeVOSMetric', data_root=data_root, split='valid',
                      format_only=True, zip_submission=True,
                      outfile_dir='work_dirs/youtube_vos_valid_submission')
