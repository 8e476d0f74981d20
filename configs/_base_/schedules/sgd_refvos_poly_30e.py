# The original RefVOS code's optimisation (train.py, args.py defaults), for every dataset:
# SGD lr 0.01, momentum 0.9, weight decay 1e-4 (args.py:22-24) over all the parameters that
# step (backbone, head, BERT encoder layers 0-9: train.py:361-375; the fixed BERT parameters
# have no gradient, see configs/_base_/models/refvos_r101.py), 30 epochs (args.py:19), lr
# poly (1 - it / (iters_per_epoch * 30)) ** 0.9 stepped every iteration (LambdaLR,
# train.py:263-266, 384-386) = TorchvisionPolyLR converted to iterations (mmengine's PolyLR
# decays over one step less). Validation after every epoch,
# the best epoch kept (train.py:427-453; its own IoU is the per-sample mean with an empty
# union 0, train.py:83-95, 186-197: our mean_iou with empty_union_iou=0).
max_epochs = 30
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='TorchvisionPolyLR', power=0.9, eta_min=0.0, begin=0, end=max_epochs,
         by_epoch=True, convert_to_iter_based=True),
]
