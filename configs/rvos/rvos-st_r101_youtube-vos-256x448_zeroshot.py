# RVOS-ST zero-shot (thesis table 3.5): no mask input, 10 slots matched to the annotated
# objects once per clip, on its first frame, the permutation kept for the clip (train.py:136-157),
# 50 epochs (scripts/train_zero_shot_youtube.sh -max_epoch=50), the one-shot config's data and
# optimisation otherwise; evaluated with the thesis protocol: the first-frame masks pick which
# slot is which object, kept for the whole video (late objects pick on entry).
_base_ = ['./rvos-mask-st_r101_youtube-vos-256x448_oneshot.py']
model = dict(head=dict(one_shot=False, num_slots=10, match_frames='first',
                       test_cfg=dict(mask_thr=0.5, slot_assignment='first_frame')))
custom_hooks = []  # no previous-mask input, so no curriculum
train_cfg = dict(max_epochs=50)
