"""Synthetic shapes: deterministic, valid COCO, learnable structure."""
import filecmp
import json
import os.path as osp

import numpy as np
from mmsegsup.registry import DATASETS
from pycocotools.coco import COCO

import mmsegsup  # noqa: F401
from mmsegsup.datasets.synthetic import SHAPE_CLASSES, generate_shapes


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = generate_shapes(str(tmp_path / 'a'), 'train', 6, seed=3)
    b = generate_shapes(str(tmp_path / 'b'), 'train', 6, seed=3)
    c = generate_shapes(str(tmp_path / 'c'), 'train', 6, seed=4)
    assert filecmp.cmp(a, b, shallow=False)
    assert not filecmp.cmp(a, c, shallow=False)
    img = osp.join('images', 'train', 'train_00000.png')
    assert filecmp.cmp(tmp_path / 'a' / img, tmp_path / 'b' / img, shallow=False)


def test_coco_json_is_valid_and_has_hard_cases(tmp_path):
    ann = generate_shapes(str(tmp_path), 'train', 60, seed=0, max_objects=4)
    coco = COCO(ann)
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(SHAPE_CLASSES)
    same_class = 0
    for img_id in coco.getImgIds():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert anns, 'every image has at least one object'
        cats = [a['category_id'] for a in anns]
        same_class += len(cats) != len(set(cats))
        masks = np.stack([coco.annToMask(a) for a in anns])
        assert masks.sum(0).max() <= 1, 'visible masks never overlap'
        for a, m in zip(anns, masks):
            assert m.sum() == a['area'] > 0
    assert same_class > 5
    with open(ann) as f:
        assert json.load(f)['info']['seed'] == 0


def test_dataset_generates_on_first_use(tmp_path):
    ds = DATASETS.build(dict(type='ShapesInstanceDataset', data_root=str(tmp_path), split='val',
                             num_images=5, pipeline=[]))
    assert len(ds) == 5
    assert osp.isfile(tmp_path / 'annotations' / 'instances_val.json')
    info = ds[0]
    assert info['instances'] and osp.isfile(info['img_path'])
    # Other generator settings regenerate instead of silently reusing stale files.
    ds2 = DATASETS.build(dict(type='ShapesInstanceDataset', data_root=str(tmp_path), split='val',
                              num_images=7, pipeline=[]))
    assert len(ds2) == 7
