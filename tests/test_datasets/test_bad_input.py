"""Bad COCO-style input gives an error naming the file, or a documented skip."""
import json
import os

import cv2
import numpy as np
import pytest
from mmsegsup.registry import DATASETS, SEG_DATASETS, TRANSFORMS
from mmengine.dataset import Compose

from mmsegsup.datasets import generate_shapes
from mmsegsup.formats.errors import FormatError, MissingFileError

PIPELINE = [dict(type='LoadImageFromFile'),
            dict(type='CheckImageAnnotations'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
                    dict(type='PackDetInputs')]


def _dataset(root, ann_file, **kwargs):
    return DATASETS.build(dict(type='CheckedCocoDataset', data_root=str(root),
                               ann_file=ann_file, data_prefix=dict(img='images/train/'),
                               metainfo=dict(classes=('circle', 'square', 'triangle')),
                               pipeline=PIPELINE, **kwargs))


@pytest.fixture
def shapes(tmp_path):
    ann = generate_shapes(str(tmp_path), 'train', 3, seed=0)
    with open(ann) as f:
        return tmp_path, ann, json.load(f)


def _write(path, coco):
    with open(path, 'w') as f:
        json.dump(coco, f)
    return str(path)


def test_missing_image_names_the_file(shapes):
    root, ann, coco = shapes
    missing = root / 'images' / 'train' / coco['images'][1]['file_name']
    os.remove(missing)
    ds = _dataset(root, ann)
    with pytest.raises(FileNotFoundError, match=coco['images'][1]['file_name']):
        ds[1]


def test_unparsable_annotation_file_names_the_file(tmp_path):
    bad = tmp_path / 'broken.json'
    bad.write_text('{"images": [ this is not json')
    with pytest.raises(FormatError, match='broken.json'):
        _dataset(tmp_path, str(bad))
    missing_key = _write(tmp_path / 'nokeys.json', {'images': [{'id': 1}]})
    with pytest.raises(FormatError, match='nokeys.json'):
        _dataset(tmp_path, missing_key)


def test_rle_size_mismatch_names_file_image_and_annotation(shapes):
    root, _, coco = shapes
    coco['images'][0]['height'] = 32
    bad = _write(root / 'mismatch.json', coco)
    with pytest.raises(FormatError, match=r"mismatch.json.*annotation 1 .*train_00000"):
        _dataset(root, bad)


def test_image_size_differs_from_declared(shapes):
    root, ann, coco = shapes
    path = root / 'images' / 'train' / coco['images'][2]['file_name']
    cv2.imwrite(str(path), np.zeros((40, 50, 3), np.uint8))
    ds = _dataset(root, ann)
    with pytest.raises(FormatError, match=r'train_00002.png: image is 40x50'):
        ds[2]


def test_degenerate_polygon_is_ignored_and_empty_images_are_filtered(shapes):
    root, _, coco = shapes
    first = [a for a in coco['annotations'] if a['image_id'] == 1]
    first[0]['segmentation'] = [[1.0, 1.0, 5.0, 5.0]]  # two points: not a polygon
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] != 2]
    ann = _write(root / 'edited.json', coco)
    ds = _dataset(root, ann, filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 2  # image 2 has no instances and is dropped for training
    sample = ds[0]['data_samples']
    assert len(sample.ignored_instances) == 1
    assert len(sample.gt_instances) == len(first) - 1
    keep_all = _dataset(root, ann, test_mode=True)
    assert len(keep_all) == 3


def test_check_transform_accepts_consistent_input(shapes):
    root, ann, _ = shapes
    assert TRANSFORMS.get('CheckImageAnnotations') is not None
    ds = _dataset(root, ann)
    assert len(ds[0]['data_samples'].gt_instances) > 0
    assert isinstance(ds.pipeline, Compose)


def test_missing_layout_parts_raise_the_format_layers_error(tmp_path):
    """A missing split file, frames folder or refs file raises ``MissingFileError``: one
    ``except FormatError`` catches every bad-input case, and it is still a
    ``FileNotFoundError``."""
    davis = dict(type='DAVISVideoDataset', data_root=str(tmp_path) + '/', split='val',
                 pipeline=[])
    with pytest.raises(MissingFileError, match=r'ImageSets/2017/val\.txt'):
        DATASETS.build(davis)
    (tmp_path / 'ImageSets' / '2017').mkdir(parents=True)
    (tmp_path / 'ImageSets' / '2017' / 'val.txt').write_text('bear\n')
    with pytest.raises(MissingFileError, match=r'JPEGImages/480p/bear of video bear') as err:
        DATASETS.build(davis)
    assert isinstance(err.value, FormatError) and isinstance(err.value, FileNotFoundError)
    refs = dict(type='RefCOCODataset', data_root=str(tmp_path) + '/', dataset='refcoco',
                split_by='unc', split='val', pipeline=[])
    with pytest.raises(MissingFileError, match=r'refcoco/refs\(unc\)\.json or'):
        SEG_DATASETS.build(refs)
