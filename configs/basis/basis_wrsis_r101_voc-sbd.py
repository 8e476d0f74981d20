# Instance BASIS on Pascal VOC 2012 + SBD (thesis table 4.7): W-RSIS f on N strong images,
# the other train_aug images carry labels + counts (priced by the budget model) and get
# W-RSIS pseudo-instances, RSIS g trains on the union (epoch-based, uniform sampling); mask
# AP50 on VOC val. For RSIS as f on an unlabeled pool (table 4.5), set
# annotator='configs/rsis/rsis_r101_voc-sbd_256x256.py' and weak_type=None.
basis = dict(
    task='instance',
    annotator='configs/basis/wrsis_r101_voc-sbd_256x256.py',
    student='configs/rsis/rsis_r101_voc-sbd_256x256.py',
    num_strong=200,
    seed=0,
    weak_type='labels+counts',
    source_ratio=None,
    metric='coco/segm_mAP_50')
