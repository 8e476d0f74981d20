# RVOS-Mask-ST+ (thesis table 3.1): one-shot, spatio-temporal, 20 epochs with ground-truth
# previous masks then 20 with inferred ones, on 80% of YouTube-VOS train at 256x448.
_base_ = [
    '../_base_/models/rvos-st_r101.py', '../_base_/datasets/youtube_vos.py',
    '../_base_/schedules/adam_rvos_20e-gt_20e-pred.py', '../_base_/vos_runtime.py'
]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
