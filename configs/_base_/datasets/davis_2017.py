# DAVIS-2017 (davischallenge.org, 480p; download into data/DAVIS/ with JPEGImages/,
# Annotations/, Annotations_unsupervised/ and ImageSets/), at the YouTube-VOS model's 256x448.
# val is scored with the official protocol; test-dev only writes the submission PNGs.
_base_ = ['./youtube_vos.py']
dataset_type = 'DAVISVideoDataset'
data_root = 'data/DAVIS/'
train_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='train',
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='val',
                 test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    dataset=dict(_delete_=True, type=dataset_type, data_root=data_root, split='test-dev',
                 test_mode=True, pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(_delete_=True, type='DAVISMetric', davis_root=data_root, split='val',
                     task='semi-supervised')
test_evaluator = dict(_delete_=True, type='DAVISMetric', davis_root=data_root,
                      split='test-dev', format_only=True,
                      outfile_dir='work_dirs/davis_test-dev_submission')
