# DAVIS-2017 with referring expressions (Khoreva et al.; layout in
# mmsegsup/datasets/davis_refer.py), first-frame expressions. Validation segments every frame
# of the val videos with annotator 1's expressions, one object per expression, merges the
# objects of each frame and scores J&F with the DAVIS protocol.
#
# As the original RefVOS code (the thesis configs' default; pipelines in
# referring_pipelines.py): training takes every annotated frame of the train videos, one
# sample per (object, frame) with a random one of the two annotators' expressions each time
# (annotator=(1, 2), davis2017.py:60-80, 111-131, 158-162), batch 6, drop_last; the test reads
# annotator 1 (davis2017.py:155-156). Our variant (configs/refvos/*_mmsegsup.py): annotator 1
# only for training, 480x480.
_base_ = './referring_pipelines.py'
dataset_type = 'DAVISReferDataset'
data_root = 'data/DAVIS/'
train_dataloader = dict(
    batch_size=6,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 expressions='first_frame', annotator=(1, 2),
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val',
                 expressions='first_frame', annotator=1, test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferringDAVISMetric', data_root=data_root, split='val')
test_evaluator = val_evaluator
