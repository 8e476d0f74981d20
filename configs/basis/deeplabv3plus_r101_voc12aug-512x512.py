# Semantic BASIS f / g in the thesis setting (sec. 4.5 / 4.7) with mmseg's DeepLabV3+: the
# thesis used Xception-65 (TensorFlow); mmseg's ResNet-101 DeepLabV3+ at 512x512, 40k
# iterations, stands in. Trains on one list over VOC 2012 train + SBD (10582 images,
# SegmentationClassAug), which the BASIS pipeline cuts into N strong images and the unlabeled
# rest. Make the list once: cat ImageSets/Segmentation/{train,aug}.txt > .../trainaug.txt
# (see mmseg's docs/en/user_guides/2_dataset_prepare.md for SegmentationClassAug).
_base_ = ['mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-40k_voc12aug-512x512.py']
default_scope = 'mmsegsup_seg'
custom_imports = dict(imports=['mmsegsup'], allow_failed_imports=False)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PascalVOCDataset',
        data_root='data/VOCdevkit/VOC2012',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/trainaug.txt',
        pipeline={{_base_.train_pipeline}}))
