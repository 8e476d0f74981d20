# Ablation "RSIS + IL" (thesis table 4.6a): plain RSIS (training unchanged, so an RSIS CPU
# checkpoint can be tested with it) whose class softmax is restricted at inference to the
# image-level labels (RSISHead's test_cfg.weak_filter post-processor). Takes the weak-label
# test data of the W-RSIS CPU config.
_base_ = ['./wrsis_r18-c16_shapes-64x64_cpu.py']

model = dict(head=dict(type='RSISHead'), test_cfg=dict(weak_filter='labels'))
