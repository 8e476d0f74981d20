# RVOS-Mask-ST+ (thesis table 3.1): one-shot, spatio-temporal, at 256x448 on YouTube-VOS train,
# with imatge-upc/rvos's recipe (scripts/train_one_shot_youtube.sh; the bases cite the code):
# all 5-frame clips of every video each epoch, 4 per batch, per-clip flip + affine; Adam 1e-3
# decoder and skip projections / 1e-6 ResNet, weight decay 1e-6; 20 epochs with ground-truth
# previous masks, then 20 with inferred ones from the first stage's best model; the best
# validation loss on the held-out videos selects the checkpoints (best_val_loss_*.pth).
_base_ = [
    '../_base_/models/rvos-st_r101.py', '../_base_/datasets/youtube_vos.py',
    '../_base_/schedules/adam_rvos_20e-gt_20e-pred.py', '../_base_/vos_runtime.py'
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                                     save_best='val_loss', rule='less'))
