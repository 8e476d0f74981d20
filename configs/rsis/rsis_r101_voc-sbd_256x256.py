# Thesis setting for RSIS on Pascal VOC 2012 + SBD (sec. 4.6-4.7): 256x256 images, ImageNet
# ResNet-101 encoder, Adam with 1e-3 on the decoder and 1e-6 on the encoder, batch 60.
_base_ = [
    '../_base_/models/rsis_r101.py', '../_base_/datasets/voc_sbd_instance.py',
    '../_base_/schedules/adam_rsis.py', '../_base_/default_runtime.py'
]
