# The DAVIS fine-tuning schedule of the original README's "Training Details" (= thesis 6.6):
# SGD momentum 0.9, weight decay 1e-6 (README.md:101; args.py:24 has 1e-4), lr 1e-3
# decreasing 1e-5 per epoch for 20 epochs (--linear_lr in the original code, train.py:75-79,
# 381-382; its default is poly 0.9 over 30 epochs: sgd_refvos_poly_30e.py).
max_epochs = 20
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-6))
param_scheduler = [
    # factor 1 - 0.01 e of 1e-3 over epochs 0-19
    dict(type='LinearLR', start_factor=1.0, end_factor=1.0 - 0.01 * (max_epochs - 1),
         begin=0, end=max_epochs, by_epoch=True),
]
