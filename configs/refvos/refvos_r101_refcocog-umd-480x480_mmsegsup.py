# RefVOS on RefCOCOg, UMD splits (train / val / test with disjoint images): the RefCOCO recipe.
_base_ = './refvos_r101_refcoco-480x480_mmsegsup.py'
refer_dataset = 'refcocog'
train_dataloader = dict(dataset=dict(dataset=refer_dataset, split_by='umd'))
val_dataloader = dict(dataset=dict(dataset=refer_dataset, split_by='umd'))
test_dataloader = val_dataloader
