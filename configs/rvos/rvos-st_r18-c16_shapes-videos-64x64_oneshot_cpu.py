# One-shot RVOS-ST sized for a CPU: ResNet-18 with 16 base channels from random init, on the
# bundled synthetic videos (64x64), clips of 5 frames; ground-truth previous masks for the
# first half, the model's own afterwards (the curriculum of RVOS-Mask-ST+).
_base_ = [
    '../_base_/models/rvos-st_r101.py', '../_base_/datasets/shapes_videos_oneshot.py',
    '../_base_/schedules/adam_cpu_1500i.py', '../_base_/vos_runtime.py'
]

# The thesis model at CPU size with our variant's parts (README "thesis-exact vs mmsegsup
# variant"): frames padded to 32 and encoded in one batch, our 3-level decoder, slots in order
# of appearance, sIoU smoothed (an absent object pulls its prediction towards empty), scipy's
# assignment solver for the zero-shot matching.
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    encode_per_frame=False,
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    head=dict(
        in_channels=[16, 32, 64, 128],
        decoder=dict(_delete_=True, type='RecurrentMaskDecoder', hidden_channels=(64, 32, 32),
                     use_levels=(1, 2, 3), pooling=('max', )),
        protocol='mmsegsup',
        matcher=dict(solver='scipy'),
        loss_mask=dict(smooth=1.0)))

# 1200 iterations of the CPU schedule
max_iters = 1200
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2))
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_iter=max_iters // 2)]
log_processor = dict(by_epoch=False)
