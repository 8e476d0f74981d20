# BASIS for semantic segmentation on the bundled synthetic shapes (thesis 4.5 at toy scale):
# f = DeepLabV3+ (mmseg) trained on N images with label maps, pseudo-labels the other images
# of the split (PNG label maps), g = DeepLabV3+ on strong + pseudo; both scored by mIoU.
#   python tools/basis_pipeline.py configs/basis/basis_deeplabv3plus_shapes-semantic-64x64_cpu.py
basis = dict(
    task='semantic',
    annotator='configs/basis/deeplabv3plus_r18-c16_shapes-semantic-64x64_cpu.py',
    student='configs/basis/deeplabv3plus_r18-c16_shapes-semantic-64x64_cpu.py',
    num_strong=20,
    seed=0,
    source_ratio=[1, 1],
    metric='mIoU')
