# RVOS-Mask-T (thesis table 3.1): temporal recurrence only (no spatial hidden state), trained
# as RVOS-Mask-S (ground-truth previous masks, 20 epochs; --only_temporal, args.py:14).
_base_ = ['./rvos-mask-st_r101_youtube-vos-256x448_oneshot.py']
model = dict(head=dict(recurrence='T'))
custom_hooks = []
train_cfg = dict(max_epochs=20)
