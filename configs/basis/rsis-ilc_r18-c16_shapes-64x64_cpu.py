# Ablation "RSIS + IL + C" (thesis table 4.6a): RSIS + IL, and of each class only as many
# predicted instances (in step order) as the image's counts say are kept.
_base_ = ['./rsis-il_r18-c16_shapes-64x64_cpu.py']

model = dict(test_cfg=dict(weak_filter='labels+counts'))
