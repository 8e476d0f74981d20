# Test the CPU RefVOS image model on synthetic referring-shapes videos, frame by frame (the
# thesis's RefVOS has no temporal part): one sample per (expression, frame), the sentence
# encoded once per video by the memoising encoder. Overall IoU sums intersections and unions
# over all frames; the per-expression CSV gives each expression's IoU over its frames.
#   python tools/test.py configs/refvos/<this file> CHECKPOINT
_base_ = './refvos_r18-c16_referring-shapes-64x64_cpu.py'
data_root = 'data/referring_shapes_videos/'
val_dataloader = dict(
    dataset=dict(_delete_=True, type='ReferringShapesVideoDataset', data_root=data_root,
                 split='val', num_videos=30, num_frames=8, seed=1, size=64, test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferringMetric',
                     csv_file='work_dirs/refvos_shapes_videos_expressions.csv')
test_evaluator = val_evaluator
