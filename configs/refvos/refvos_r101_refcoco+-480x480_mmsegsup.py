# RefVOS on RefCOCO+ (UNC splits: no location words allowed): the RefCOCO recipe unchanged.
_base_ = './refvos_r101_refcoco-480x480_mmsegsup.py'
refer_dataset = 'refcoco+'
train_dataloader = dict(dataset=dict(dataset=refer_dataset, split_by='unc'))
val_dataloader = dict(dataset=dict(dataset=refer_dataset, split_by='unc'))
test_dataloader = val_dataloader
