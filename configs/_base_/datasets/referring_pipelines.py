# The referring pipelines shared by configs/_base_/datasets/{refcoco,a2d_sentences,davis_refer}.py.
#
# train_pipeline / test_pipeline: the data of the original RefVOS code (miriambellver/refvos),
# the thesis configs' default, for RefCOCO(+/g), A2D and DAVIS alike:
# * training: images decoded by PIL without EXIF rotation (Image.open(...).convert('RGB'),
#   dataset_refer_bert.py:95), shorter side resized to 416 (RandomResize(416, 416) =
#   F.resize(img, 416): bilinear PIL, target nearest, transforms.py:29-40; train.py:98-114
#   with base_size 520, args.py:16), padded at the right / bottom to 480 (image 0 before
#   normalisation, target 255) and randomly cropped to 480x480 (RandomCrop(480),
#   transforms.py:10-17, 52-62: pad then crop equals crop then pad); no flip
#   (transforms.py:42-49 is unused).
# * test: the image at its own resolution (ToTensor + Normalize only, test.py:254-260), logits
#   upsampled to it (bilinear, align_corners=False, lib/_utils.py:38).
# * both: a RefCOCO referent whose COCO polygons overlap is background where they overlap
#   (coco_overlap='exactly_one': the refer toolkit sums the polygons' masks and the dataset
#   keeps the value 1, refer.py:286-288, dataset_refer_bert.py:100-102; our variant 'union').
# Checked against the original loader: tests/test_datasets/test_original_data_equal.py.
# mmsegsup_train_pipeline / mmsegsup_test_pipeline: our variant (thesis 6.6's prose): 480x480
# without keeping the ratio for train and test, the masks compared at the original size.
# No random flip in either: it would break "left" / "right".
referring_meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                       'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
                       'expression', 'expr_id', 'video', 'frame_id', 'trivial', 'object_id')
train_crop_size = (480, 480)
image_scale = (480, 480)
train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow',
         color_type='color_ignore_orientation'),
    dict(type='LoadReferringMask', coco_overlap='exactly_one'),
    dict(type='ResizeShorterSide', size=416, backend='pillow'),
    dict(type='RandomCrop', crop_size=train_crop_size, cat_max_ratio=1.0),
    dict(type='Pad', size=train_crop_size, pad_val=dict(img=0, seg=255)),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow',
         color_type='color_ignore_orientation'),
    dict(type='LoadReferringMask', coco_overlap='exactly_one'),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
mmsegsup_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadReferringMask'),
    dict(type='Resize', scale=image_scale, keep_ratio=False),
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
mmsegsup_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=False),
    dict(type='LoadReferringMask'),  # after Resize: metrics compare at the original size
    dict(type='PackSegInputs', meta_keys=referring_meta_keys),
]
