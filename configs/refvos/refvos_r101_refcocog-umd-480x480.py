# RefVOS on RefCOCOg, UMD splits (train / val / test with disjoint images): the RefCOCO recipe
# of the original code (which has no RefCOCOg loader: get_dataset knows refcoco, refcoco+,
# a2d, davis; the same ReferDataset with splitBy umd, 20 tokens).
_base_ = './refvos_r101_refcoco-480x480.py'
refer_dataset = 'refcocog'
train_dataloader = dict(dataset=dict(dataset=refer_dataset, split_by='umd'))
val_dataloader = dict(dataset=dict(dataset=refer_dataset, split_by='umd'))
test_dataloader = val_dataloader
