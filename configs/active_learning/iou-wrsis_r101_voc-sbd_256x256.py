# IoU-W-RSIS in the thesis setting (ch. 5.3-5.4): W-RSIS on Pascal VOC 2012 + SBD at 256x256 with
# the mask-IoU branch regressing sqrt(IoU) (best row of table 5.1). Segmentation trains for 150
# epochs, then FreezeSegmentationHook freezes it and the IoU branch alone trains for 250 epochs.
# encoder_dropout=0.5 is the layer of the MC-dropout baseline (set it to 0.0 without it).
_base_ = ['../basis/wrsis_r101_voc-sbd_256x256.py']

model = dict(head=dict(
    encoder_dropout=0.5,
    iou_branch=dict(type='MaskIoUBranch', target='sqrt', pooling=('avg', ),
                    loss=dict(type='L1Loss', loss_weight=1.0), joint=False)))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=400, val_interval=50)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=400, by_epoch=True, milestones=[120],
                        gamma=0.1)]
custom_hooks = [dict(type='FreezeSegmentationHook', freeze_epoch=150)]
