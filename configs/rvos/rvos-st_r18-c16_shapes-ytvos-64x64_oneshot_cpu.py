# One-shot RVOS-ST on the bundled synthetic videos in the YouTube-VOS layout (CPU-sized, as the
# DAVIS-layout config): objects enter mid-video and are given at their first annotated frame;
# categories are the shapes and 'triangle' never occurs in train, so it is the unseen category
# of the held-out 'val' folder (J/F seen and unseen).
_base_ = ['./rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py']
dataset_type = 'ShapesYouTubeVOSDataset'
data_root = 'data/shapes_ytvos/'
train_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='train',
                 num_videos=200, num_frames=12, seed=0, unseen_classes=('triangle', ),
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='val',
                 num_videos=20, num_frames=12, seed=0, test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='YouTubeVOSMetric', data_root=data_root, split='val',
                     train_meta=data_root + 'train/meta.json')
test_evaluator = val_evaluator
