# RefVOS on A2D-Sentences with the original code's recipe (miriambellver/refvos; issue 14):
# the original model with A2D's 10-token limit (a2d.py:27), ImageNet-initialised (the code's
# default; the published "RefCOCO then A2D" model started from a RefCOCO one:
# --cfg-options load_from=<RefCOCO checkpoint>), the original data (every annotated frame of
# each sentence's video, the actor absent or not, shorter side 416 then pad / crop 480; test
# at the frames' resolution, empty union IoU 0: configs/_base_/datasets/a2d_sentences.py) and
# the code's optimiser (SGD 0.01, momentum 0.9, weight decay 1e-4, batch 6, poly 0.9 per
# iteration over 30 epochs). The README's A2D schedule (lr 0.1 - 0.004 e for 15 epochs,
# weight decay 1e-6, batch 7): refvos_r101_a2d-sentences-480x480_readme-recipe.py.
# Our variant: refvos_r101_a2d-sentences-480x480_mmsegsup.py.
_base_ = [
    '../_base_/models/refvos_r101.py', '../_base_/datasets/a2d_sentences.py',
    '../_base_/schedules/sgd_refvos_poly_30e.py', '../_base_/refvos_runtime.py'
]
model = dict(text_encoder=dict(max_length=10))
