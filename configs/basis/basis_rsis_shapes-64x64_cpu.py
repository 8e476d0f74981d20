# BASIS for instance segmentation on the bundled synthetic shapes (thesis 4.6 at toy scale):
# f = RSIS trained on N strongly labeled images, pseudo-labels the other images of the split
# (unlabeled: they cost nothing), g = RSIS trained on strong + pseudo (half of each batch from
# each source); both scored by mask AP50 on the held-out split. Run with
#   python tools/basis_pipeline.py configs/basis/basis_rsis_shapes-64x64_cpu.py
basis = dict(
    task='instance',
    annotator='configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py',
    student='configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py',
    num_strong=50,
    seed=0,
    score_thr=0.5,
    weak_type=None,
    source_ratio=[1, 1],
    metric='coco/segm_mAP_50')
