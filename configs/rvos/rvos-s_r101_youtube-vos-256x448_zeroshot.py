# RVOS-S zero-shot (thesis table 3.5), as imatge-upc/rvos trains and evaluates it: its
# zero-shot scripts never read --only_spatial (train.py:300-340 and eval.py:233-308 pass each
# frame's temporal states on, and RSIS.forward always feeds them to the cells,
# modules/model.py:115-140), so a model trained with it is the spatio-temporal decoder:
# recurrence='ST' (tests/test_models/test_rvos_train_original.py, case
# rvos_train_zeroshot_s_r34_davis). recurrence='S' is the spatial-only decoder that the
# thesis text describes and the one-shot scripts build (our variant).
_base_ = ['./rvos-st_r101_youtube-vos-256x448_zeroshot.py']
model = dict(head=dict(recurrence='ST'))
