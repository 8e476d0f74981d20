# Thesis sec. 3.5: Adam with lr 1e-6, 20 epochs with the ground-truth previous masks, then 20
# with the model's own (RVOS-Mask-ST+; the hook flips the input at epoch 20, resume-safe).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-6, weight_decay=0.0),
    clip_grad=dict(max_norm=10.0, norm_type=2))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = []
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_epoch=20)]
# 4 clips of 5 frames per batch on one 12 GB GPU in the thesis.
auto_scale_lr = dict(enable=False, base_batch_size=4)
