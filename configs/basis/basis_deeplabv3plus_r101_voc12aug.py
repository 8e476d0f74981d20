# Semantic BASIS on Pascal VOC 2012 (thesis table 4.3): DeepLabV3+ f on N strong images of the
# 10582, pseudo-labels for the rest (unlabeled, free), DeepLabV3+ g on the union sampled
# uniformly; mIoU on VOC val. The thesis's N: 100, 200, 400, 800, 1464:
#   python tools/basis_pipeline.py configs/basis/basis_deeplabv3plus_r101_voc12aug.py \
#       --num-strong 100 200 400 800 1464
basis = dict(
    task='semantic',
    annotator='configs/basis/deeplabv3plus_r101_voc12aug-512x512.py',
    student='configs/basis/deeplabv3plus_r101_voc12aug-512x512.py',
    num_strong=100,
    seed=0,
    source_ratio=None,
    metric='mIoU')
