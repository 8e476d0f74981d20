# The RefCOCO(+) schedule of the original README's "Training Details" (= thesis 6.6): SGD
# momentum 0.9, weight decay 1e-6 (README.md:101; args.py:24 has 1e-4), per epoch e (0-based):
#   epochs  0-17: 0.01 - 0.0004 e          (0.0100 ... 0.0032)
#   epoch     18: 3e-3                     ("decrease until reaching 3e-3": the next step,
#                                           0.0028, would fall below, so the floor is held)
#   epochs 19-39: 6e-3 - 2.5e-4 (e - 19)   (0.0060 ... 0.0010: the restart, 20 decrements)
#   epochs 40-44: 3e-5                     (the final fixed state; the README gives no
#                                           length, we train 5 epochs: 45 in all)
# The original code runs this as separate runs with --linear_lr / --fixed_lr restarts
# (train.py:75-79, 377-382, args.py:41-46); its default is poly 0.9 over 30 epochs.
# mmengine's schedulers are chainable (each multiplies the current lr) and their factors are
# at most 1, so the restart comes from a ConstantLR that halves the lr over epochs 0-18 and
# restores it at epoch 19: the optimizer's lr is therefore 0.02 (= 2 x 0.01).
max_epochs = 45
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-6))
param_scheduler = [
    # x0.5 over epochs 0-18, x1 from epoch 19: the restart from 3e-3 to 6e-3
    dict(type='ConstantLR', factor=0.5, begin=0, end=20, by_epoch=True),
    # 0.01 - 0.0004 e over epochs 0-17 (factor 1 - 0.04 e of 0.01)
    dict(type='LinearLR', start_factor=1.0, end_factor=0.32, begin=0, end=18, by_epoch=True),
    # epoch 18: 0.0032 -> 3e-3
    dict(type='ConstantLR', factor=0.9375, begin=18, end=19, by_epoch=True),
    # 6e-3 - 2.5e-4 k over epochs 19-39 (k = 0..20), down to 1e-3
    dict(type='LinearLR', start_factor=1.0, end_factor=1.0 / 6, begin=19, end=40,
         by_epoch=True),
    # epochs 40-: 1e-3 x 0.03 = 3e-5, fixed
    dict(type='LinearLR', start_factor=0.03, end_factor=0.03, begin=40, end=max_epochs,
         by_epoch=True),
]
