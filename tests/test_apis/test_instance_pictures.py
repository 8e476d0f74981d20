"""The picture module of the image demo: scale choice, ground truth from COCO files (polygons
and RLEs), panels drawn at exactly ``scale`` times the image."""
import json

import mmcv
import numpy as np
import pytest

from mmsegsup.apis.instance_pictures import (CocoGroundTruth, Instances, auto_scale,
                                             draw_instance_panels)
from mmsegsup.formats.coco_json import masks_to_rles
from mmsegsup.formats.errors import FormatError


def test_auto_scale_reaches_256_pixels_and_leaves_large_images():
    assert auto_scale((64, 64)) == 4
    assert auto_scale((48, 100)) == 3
    assert auto_scale((480, 640)) == 1


def test_coco_ground_truth_reads_polygons_and_rles_by_file_name(tmp_path):
    square = np.zeros((1, 10, 12), bool)
    square[0, 2:5, 3:7] = True
    coco = dict(images=[dict(id=7, file_name='sub/a.png', height=10, width=12)],
                categories=[dict(id=1, name='square'), dict(id=3, name='circle')],
                annotations=[dict(id=1, image_id=7, category_id=1, iscrowd=0,
                                  segmentation=masks_to_rles(square)[0]),
                             dict(id=2, image_id=7, category_id=3, iscrowd=0,
                                  segmentation=[[6, 6, 10, 6, 10, 9, 6, 9]])])
    ann = tmp_path / 'gt.json'
    ann.write_text(json.dumps(coco))
    gt = CocoGroundTruth(str(ann), ['circle', 'square'])('/elsewhere/a.png')
    assert gt.labels.tolist() == [1, 0] and gt.scores is None
    assert (gt.masks[0] == square[0]).all() and gt.masks[1, 7, 8] and not gt.masks[1, 0, 0]
    with pytest.raises(FormatError, match='no image named b.png'):
        CocoGroundTruth(str(ann), ['circle', 'square'])('b.png')
    with pytest.raises(FormatError, match="'circle' is not a class"):
        CocoGroundTruth(str(ann), ['square'])


def test_panels_are_scale_times_the_image(tmp_path):
    img = np.full((20, 30, 3), 120, np.uint8)
    masks = np.zeros((3, 20, 30), bool)
    masks[0, 0:8, 0:10] = masks[1, 5:15, 8:20] = masks[2, 12:20, 22:30] = True
    pred = Instances(masks, np.array([0, 1, 0]), np.array([0.9, 0.5, 0.7]))
    out = draw_instance_panels(img, [('ground truth', Instances(masks[:1], np.array([0]))),
                                     ('prediction', pred)],
                               ['cat', 'dog'], [(220, 20, 60), (0, 130, 200)],
                               str(tmp_path / 'p.png'), scale=10)
    drawn = mmcv.imread(out)
    mid = drawn[drawn.shape[0] // 2 - 8:drawn.shape[0] // 2 + 8]
    columns = (mid < 250).any(axis=(0, 2))
    starts = np.flatnonzero(np.diff(columns.astype(int)) == 1) + 1
    ends = np.flatnonzero(np.diff(columns.astype(int)) == -1) + 1
    assert (ends - starts).tolist() == [300, 300]
    assert drawn.shape[0] >= 200
