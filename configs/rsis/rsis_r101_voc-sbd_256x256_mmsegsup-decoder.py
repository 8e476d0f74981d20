# Our RSIS variant next to the thesis-exact config it inherits (same data, losses, schedule):
# four levels of mmdet's ResNet (no conv1 level), 1x1 projections and mask conv, a box branch,
# 20 classes (no <eos> class), and the first-stop selection (steps until the first stop score
# below 0.5, each with its argmax class, scored p(class) x p(stop)).
_base_ = ['./rsis_r101_voc-sbd_256x256.py']
model = dict(
    backbone=dict(type='ResNet'),
    test_cfg=dict(_delete_=True, rule='first_stop', stop_thr=0.5, mask_thr=0.5,
                  score='cls_stop'),
    head=dict(num_classes=20, eos_class=False, in_channels=[256, 512, 1024, 2048],
              decoder=dict(_delete_=True, type='RecurrentMaskDecoder',
                           hidden_channels=(128, 128, 64, 32)),
              with_bbox=True, align_corners=False))
