# Thesis sec. 4.7: Adam, 1e-3 for the decoder and 1e-6 for the (pretrained) encoder.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.0),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1e-3)}),
    clip_grad=dict(max_norm=10.0, norm_type=2))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[40],
                        gamma=0.1)]
# Batch 60 in the thesis (4 GPUs x 15); LR scaling off by default.
auto_scale_lr = dict(enable=False, base_batch_size=60)
