# RefCOCO (UNC splits) in the refer toolkit layout (see mmsegsup/datasets/refcoco.py):
# <data_root>/refcoco/{instances.json, refs(unc).p or .json} and the COCO train2014 images
# under <data_root>/images/mscoco/images/train2014.
# RefCOCO+ / RefCOCOg: override refer_dataset / split_by (configs/refvos/*refcoco+*, *refcocog*).
#
# As the original RefVOS code (the thesis configs' default; pipelines in
# referring_pipelines.py): training draws one sample per referred object, a random one of its
# sentences each time (samples='ref', dataset_refer_bert.py:88, 123-127), batch 6, drop_last
# (args.py:14, train.py:299-302); the test takes every sentence of every ref as one sample
# (test.py eval_mode, test.py:36-41, 108-157) and scores an empty union IoU 0, still a sample
# (test.py:144-147). Our variant (configs/refvos/*_mmsegsup.py) overrides these.
_base_ = './referring_pipelines.py'
dataset_type = 'RefCOCODataset'
data_root = 'data/refer/'
refer_dataset = 'refcoco'
split_by = 'unc'
train_dataloader = dict(
    batch_size=6,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, dataset=refer_dataset,
                 split_by=split_by, split='train', samples='ref',
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, dataset=refer_dataset,
                 split_by=split_by, split='val', test_mode=True, samples='sentence',
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader  # testA / testB: --cfg-options test_dataloader.dataset.split=testA
val_evaluator = dict(type='ReferringMetric', empty_union_iou=0.0)
test_evaluator = val_evaluator
