# DAVIS-2017 (davischallenge.org, 480p; download into data/DAVIS/ with JPEGImages/,
# Annotations/, Annotations_unsupervised/ and ImageSets/) with the YouTube-VOS base's recipe at
# imatge-upc/rvos's DAVIS resolution, 240x427, for training, validation and testing
# (train_previous_mask.py:48 and train.py:49 inputRes=(240,427); eval_previous_mask.py:46).
# The original selects its DAVIS models by the loss on the val clips (davis2017.py loads
# ImageSets' split; train_previous_mask.py:35-50, 346-351). val is scored with the official
# protocol in our J&F variant (video_val_*); test-dev only writes the submission PNGs.
_base_ = ['./youtube_vos.py']
dataset_type = 'DAVISVideoDataset'
data_root = 'data/DAVIS/'
img_scale = (427, 240)  # (w, h)


def _at_img_scale(pipeline: list) -> list:
    """The YouTube-VOS base's pipeline with this file's Resize scale (a function, so not a
    config key)."""
    return [dict(step, transforms=[dict(t, scale=img_scale) if t['type'] == 'Resize' else t
                                   for t in step['transforms']])
            if 'transforms' in step else step for step in pipeline]


train_pipeline = _at_img_scale(_base_.train_pipeline)
val_clip_pipeline = _at_img_scale(_base_.val_clip_pipeline)
test_pipeline = _at_img_scale(_base_.test_pipeline)
train_dataloader = dict(
    dataset=dict(dataset=dict(_delete_=True, type=dataset_type, data_root=data_root,
                              split='train', pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(dataset=dict(_delete_=True, type=dataset_type, data_root=data_root,
                              split='val', pipeline=val_clip_pipeline)))
video_val_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='val',
                 test_mode=True, pipeline=test_pipeline))
video_val_evaluator = dict(_delete_=True, type='DAVISMetric', davis_root=data_root,
                           split='val', task='semi-supervised')
test_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='test-dev',
                 test_mode=True, pipeline=test_pipeline))
test_evaluator = dict(_delete_=True, type='DAVISMetric', davis_root=data_root,
                      split='test-dev', format_only=True,
                      outfile_dir='work_dirs/davis_test-dev_submission')
