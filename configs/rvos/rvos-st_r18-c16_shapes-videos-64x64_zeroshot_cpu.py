# Zero-shot RVOS-ST on the bundled synthetic videos: no mask input, 4 object slots (the videos
# hold at most 3 objects) matched to the annotated objects once per clip; evaluated with the
# DAVIS unsupervised protocol. 4 slots against 6: J&F 0.539 vs 0.512 and 30% less time
# (benchmarks/README.md).
_base_ = ['./rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py']

model = dict(head=dict(one_shot=False, num_slots=4))
custom_hooks = []  # no previous-mask input, so no curriculum
val_evaluator = dict(task='unsupervised')
test_evaluator = val_evaluator
