# RVOS-Mask-S (thesis table 3.1): spatial recurrence only (no temporal hidden state); table 3.1
# trains S / T / ST with ground-truth previous masks: the first stage of the ST+ recipe
# (train_previous_mask.py -max_epoch=20, here with --only_spatial, args.py:16).
_base_ = ['./rvos-mask-st_r101_youtube-vos-256x448_oneshot.py']
model = dict(head=dict(recurrence='S'))
custom_hooks = []
train_cfg = dict(max_epochs=20)
