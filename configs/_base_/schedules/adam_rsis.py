# The training schedule of imatge-upc/rsis (src/train.py, src/args.py; scripts/train_pascal.sh
# passes only -model_name and --resize, so every value below is an args.py default).
# Adam on two parameter groups (train.py:236-240): the decoder and the encoder's skip
# projections at lr 1e-3 (args.py:21, 28), the ResNet at lr_cnn 1e-6 (args.py:22-24), both with
# weight decay 1e-6 (args.py:26-27). The ResNet trains from epoch 0 (finetune_after=0,
# args.py:39; train.py:314-316). No gradient clipping (train.py:183-187) and no LR schedule.
# get_base_params (utils/utils.py:34-52) lists each ResNet parameter once per module level that
# holds it (layer1.0.conv1.weight three times: layer1, layer1.0, layer1.0.conv1), and Adam
# updates it once per listing, step count included: ModuleWalkOptimWrapperConstructor builds
# the same lists (the training cases of tests/test_models/test_rsis_train_original.py);
# constructor='DefaultOptimWrapperConstructor' lists each parameter once (our variant).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-6),
    constructor='ModuleWalkOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1e-3)}),
    clip_grad=None)
# Validation every epoch (train.py:341) by the training losses on the validation split, with
# the model in eval mode and no update (runIter mode='val', train.py:71-76, 183); up to 4000
# epochs (args.py:77), ended by patience. The configs give val data with ground truth at the
# input size and val_evaluator = [].
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4000, val_interval=1)
val_cfg = dict(type='LossValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = None
# The loss schedule (train.py:313-502): sIoU from the start; the class NLL from epoch 20
# (class_loss_after, args.py:57) or an earlier plateau; the stop BCE after a plateau
# (stop_loss_after=3000, args.py:63, is never reached first). A plateau is more than 15
# validations (patience, args.py:71) whose summed validation loss is not below the best since
# the last switch (min_delta 0, args.py:54); the best checkpoint is reloaded then. Training
# stops after more than 60 (patience_stop, args.py:75).
custom_hooks = [
    dict(type='LossSwitchHook',
         switches=[dict(loss='loss_cls', epoch=20), dict(loss='loss_stop', epoch=3000)],
         monitor='val_loss', patience=15, patience_stop=60, min_delta=0.0)
]
# Batch 60 in the thesis (4 GPUs x 15, sec. 4.7); LR scaling off by default.
auto_scale_lr = dict(enable=False, base_batch_size=60)
