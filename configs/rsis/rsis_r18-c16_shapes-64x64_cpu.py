# RSIS sized for a laptop CPU: a ResNet-18 with 16 base channels, from random init, on the
# bundled synthetic shapes (64x64). Trains in a few minutes on 2 cores; see benchmarks/README.md.
_base_ = [
    '../_base_/models/rsis_r101.py', '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/adam_cpu_1500i.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(depth=18, base_channels=16, norm_eval=False, init_cfg=None),
    head=dict(num_classes=3, in_channels=[16, 32, 64, 128],
              decoder=dict(hidden_channels=(64, 64, 32, 32)), max_steps=6))

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
