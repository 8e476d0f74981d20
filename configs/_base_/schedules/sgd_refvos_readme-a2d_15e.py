# The A2D schedule of the original README's "Training Details" (= thesis 6.6): SGD momentum
# 0.9, weight decay 1e-6 (README.md:101; args.py:24 has 1e-4), lr 0.1 decreasing 0.004 per
# epoch for 15 epochs (the original code runs it with --linear_lr, train.py:75-79, 381-382;
# its default is poly 0.9 over 30 epochs: sgd_refvos_poly_30e.py).
max_epochs = 15
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-6))
param_scheduler = [
    # factor 1 - 0.04 e of 0.1 over epochs 0-14
    dict(type='LinearLR', start_factor=1.0, end_factor=1.0 - 0.04 * (max_epochs - 1),
         begin=0, end=max_epochs, by_epoch=True),
]
