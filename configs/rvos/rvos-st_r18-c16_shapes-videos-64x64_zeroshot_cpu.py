# Zero-shot RVOS-ST on the bundled synthetic videos: no mask input, 6 object slots matched to
# the annotated objects once per clip; evaluated with the DAVIS unsupervised protocol.
_base_ = ['./rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py']

model = dict(head=dict(one_shot=False, num_slots=6))
custom_hooks = []  # no previous-mask input, so no curriculum
val_evaluator = dict(task='unsupervised')
test_evaluator = val_evaluator
