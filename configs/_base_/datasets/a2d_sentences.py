# A2D-Sentences (see mmsegsup/datasets/a2d_sentences.py for the layout: Release/videoset.csv,
# Release/pngs320H/<vid>/<NNNNN>.png frames, text_annotations/...), frame by frame.
#
# As the original RefVOS code (the thesis configs' default; pipelines in
# referring_pipelines.py): one sample per (sentence, annotated frame of its video), the frames
# where the referred actor is absent included with an empty mask, for training and test
# (absent_frames=True; a2d.py:94-128, 151-152), batch 6, drop_last; an empty union scores
# IoU 0 (test.py:144-147). Our variant (configs/refvos/*_mmsegsup.py): only the frames that
# hold the actor (absent_frames=False, as MTTR's and CMPC-V's A2D-Sentences loaders, which
# skip a frame-instance pair without the instance).
_base_ = './referring_pipelines.py'
dataset_type = 'A2DSentencesDataset'
data_root = 'data/a2d_sentences/'
train_dataloader = dict(
    batch_size=6,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', absent_frames=True,
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True,
                 absent_frames=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# overall / mean IoU, prec@K, trivial / non-trivial
val_evaluator = dict(type='ReferringMetric', empty_union_iou=0.0)
test_evaluator = val_evaluator
