# RVOS-Mask-ST+ (ft) (thesis table 3.3): the YouTube-VOS model fine-tuned on DAVIS-2017 train as
# imatge-upc/rvos's scripts/train_one_shot_davis_from_youtube.sh: train_previous_inference_mask.py
# --transfer (weights only, new optimisers), 20 epochs, inferred previous masks throughout, at
# 240x427 (the DAVIS base), the best validation loss on DAVIS val kept.
# Start from the YouTube-VOS model, the best checkpoint its run kept (N: its epoch):
#   --cfg-options load_from=work_dirs/rvos-mask-st_r101_youtube-vos-256x448_oneshot/\
#   best_val_loss_epoch_N.pth
# The path below is a placeholder that fails loudly until then.
_base_ = [
    '../_base_/models/rvos-st_r101.py', '../_base_/datasets/davis_2017.py',
    '../_base_/schedules/adam_rvos_20e-gt_20e-pred.py', '../_base_/vos_runtime.py'
]
load_from = 'work_dirs/rvos-mask-st_r101_youtube-vos-256x448_oneshot/best_val_loss.pth'
# the checkpoint holds the encoder; DAVIS counts the objects present in each frame (its
# sw_mask: the ids of that frame's annotation, dataset.py:234-237)
model = dict(backbone=dict(init_cfg=None), head=dict(train_valid='frame'))
train_cfg = dict(max_epochs=20)
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_epoch=0)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                                     save_best='val_loss', rule='less'))
