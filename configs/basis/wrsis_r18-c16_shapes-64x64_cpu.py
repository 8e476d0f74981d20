# W-RSIS (thesis ch. 4.6.1) sized for a laptop CPU: the RSIS CPU config whose decoder is fed one
# class token per instance. Training derives the tokens from the ground truth; inference reads
# the image's IL+C weak labels, here derived from the split's COCO json by LoadWeakLabels
# (exactly what an annotator gives for a weakly labeled split). To annotate a split that has
# only weak labels, point LoadWeakLabels at its weak-label json instead:
#   python tools/dataset_converters/coco_to_weak_labels.py ANN.json WEAK.json
#   dict(type='LoadWeakLabels', weak_file='WEAK.json')
# If you move data_root, set test_pipeline / val_dataloader again: the path below is built
# from this file's data_root.
_base_ = ['../rsis/rsis_r18-c16_shapes-64x64_cpu.py']

model = dict(head=dict(type='WRSISHead'))

data_root = 'data/shapes/'  # as in _base_
weak_ann_file = data_root + 'annotations/instances_val.json'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckImageAnnotations'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='LoadWeakLabels', ann_file=weak_ann_file, weak_type='labels+counts'),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                    'weak_tokens', 'weak_counts')),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
