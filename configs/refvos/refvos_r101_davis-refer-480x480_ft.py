# RefVOS fine-tuned on DAVIS-2017 referring expressions from a RefCOCO model, with the original
# code's recipe (miriambellver/refvos; issue 14): the original model with DAVIS's 10-token
# limit (davis2017.py:45), every weight from load_from (a RefCOCO model: the converted
# published one, or work_dirs/refvos_r101_refcoco-480x480's best), the original data (every
# annotated frame of the train videos, each object's expression drawn from both annotators,
# shorter side 416 then pad / crop 480; test on val with annotator 1 at 480p, J&F:
# configs/_base_/datasets/davis_refer.py) and the code's optimiser (SGD 0.01, momentum 0.9,
# weight decay 1e-4, batch 6, poly 0.9 per iteration over 30 epochs). The README's DAVIS
# schedule (lr 1e-3 - 1e-5 e for 20 epochs, weight decay 1e-6, batch 7):
# refvos_r101_davis-refer-480x480_ft_readme-recipe.py. Our variant: *_ft_mmsegsup.py.
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/davis_refer.py',
    '../_base_/schedules/sgd_refvos_poly_30e.py', '../_base_/refvos_runtime.py'
]
# all weights come from the RefCOCO checkpoint: no ImageNet init needed
model = dict(backbone=dict(init_cfg=None), text_encoder=dict(max_length=10))
load_from = 'work_dirs/refvos_r101_refcoco-480x480/best_mean_iou.pth'
default_hooks = dict(checkpoint=dict(save_best='davis/J&F-Mean'))
