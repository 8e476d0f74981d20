# RVOS-Mask-S (thesis table 3.1): spatial recurrence only (no temporal hidden state).
_base_ = ['./rvos-mask-st_r101_youtube-vos-256x448_oneshot.py']
model = dict(head=dict(recurrence='S'))
custom_hooks = []  # table 3.1 trains S / T / ST with ground-truth previous masks
train_cfg = dict(max_epochs=20)
