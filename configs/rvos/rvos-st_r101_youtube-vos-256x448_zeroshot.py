# RVOS-ST zero-shot (thesis table 3.5): no mask input, 10 slots matched to the (up to 5)
# annotated objects once per clip; evaluated with the thesis protocol: the first-frame masks
# pick which slot is which object, kept for the whole video (late objects pick on entry).
_base_ = ['./rvos-mask-st_r101_youtube-vos-256x448_oneshot.py']
model = dict(head=dict(one_shot=False, num_slots=10,
                       test_cfg=dict(mask_thr=0.5, slot_assignment='first_frame')))
custom_hooks = []  # no previous-mask input, so no curriculum
train_cfg = dict(max_epochs=20)
