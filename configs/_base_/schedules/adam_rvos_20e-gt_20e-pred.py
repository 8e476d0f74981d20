# imatge-upc/rvos's optimisation (args.py:33-40; train_previous_mask.py:213-217, 254-371):
# - Adam, lr 1e-3 for the decoder and the encoder's skip projections (get_skip_params: sk2-5,
#   bn2-5, utils/utils.py:54-68; here head.decoder.projections.*, so the whole head), lr 1e-6
#   for the ResNet (get_base_params: conv1, bn1, layer1-4, utils/utils.py:34-52; here
#   backbone.*), weight decay 1e-6 for both, constant, no gradient clipping (:154-158); the
#   encoder updates from the first epoch (-finetune_after 0, :263-267);
# - one-shot RVOS-Mask-ST+: 20 epochs with ground-truth previous masks, then 20 with the
#   model's own (scripts/train_one_shot_youtube.sh: train_previous_mask.py -max_epoch=20, then
#   train_previous_inference_mask.py --transfer -max_epoch=20, which starts from the first
#   run's best model with new optimisers: restart_from_best);
# - validation after every epoch by the loss on the held-out clips, the best kept
#   (:269-351; default_hooks.checkpoint.save_best='val_loss' in the configs). The original
#   stops after 60 epochs without improvement (-patience_stop 60, :369-371), more than any of
#   its runs lasts, so nothing stops early.
# - get_base_params lists each ResNet parameter once per module level that holds it
#   (layer1.0.conv1.weight three times: layer1, layer1.0, layer1.0.conv1), and Adam updates it
#   once per listing: ModuleWalkOptimWrapperConstructor builds the same lists (the training
#   cases of tests/test_models/test_rvos_train_original.py); constructor=
#   'DefaultOptimWrapperConstructor' lists each parameter once (our variant).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-6),
    constructor='ModuleWalkOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1e-3)}))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=1)
val_cfg = dict(type='LossValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = []
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_epoch=20, restart_from_best=True)]
# 4 clips of 5 frames per batch on one 12 GB GPU in the thesis.
auto_scale_lr = dict(enable=False, base_batch_size=4)
