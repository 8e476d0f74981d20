# The CPU schedule of the mmdet-family configs on the bundled synthetic data (RSIS, W-RSIS,
# IoU-W-RSIS, RVOS): 1500 iterations of Adam 2e-3 without weight decay, gradients clipped at
# norm 10, a linear warm-up over the first 100 iterations and the LR divided by 10 at 80%;
# validation once, at the end. A config of another length sets max_iters, train_cfg and
# param_scheduler again (a base's values are computed before the child's max_iters is read).
# Iteration-based logs and checkpoints go in the config's runtime (default_hooks.checkpoint
# by_epoch=False, log_processor by_epoch=False).
max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-3, weight_decay=0.0),
    clip_grad=dict(max_norm=10.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
