# RVOS-S zero-shot (thesis table 3.5).
_base_ = ['./rvos-st_r101_youtube-vos-256x448_zeroshot.py']
model = dict(head=dict(recurrence='S'))
