# IoU-W-RSIS (thesis 5.3) sized for a laptop CPU: the W-RSIS CPU config plus the mask-IoU branch.
# Segmentation trains first; at `freeze_iter` FreezeSegmentationHook freezes everything but the
# IoU branch, which then learns sqrt(IoU) (the best row of table 5.1) with an L1 loss.
# Predicted instances carry `ious`; the image score of active learning is their mean.
# For the MC-dropout baseline, set model.head.encoder_dropout=0.5 (dropout after the encoder).
_base_ = ['../basis/wrsis_r18-c16_shapes-64x64_cpu.py']

max_iters = 1500
freeze_iter = 1200  # the last fifth trains the IoU branch alone
model = dict(head=dict(iou_branch=dict(type='MaskIoUBranch', target='sqrt', pooling=('avg', ),
                                       loss=dict(type='L1Loss', loss_weight=1.0),
                                       joint=False)))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
custom_hooks = [dict(type='FreezeSegmentationHook', freeze_iter=freeze_iter)]
