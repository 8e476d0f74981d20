"""Pascal VOC 2012 + SBD instance loading, splits, mmdet dataset and COCO conversion.

Every test fabricates a tiny VOC/SBD tree in tmp_path in the layout of the real
archives: indexed PNGs with the VOC palette, and .mat structs saved the way SBD
stores them (a 1x1 struct with Segmentation, Boundaries cell, Categories column).
"""
from __future__ import annotations

import importlib.util
import json
import os.path as osp
import re
from pathlib import Path
from typing import Dict, Tuple

import numpy as np
import pytest
import scipy.io
import scipy.sparse
from PIL import Image

from mmsegsup.datasets import voc_sbd
from mmsegsup.formats import voc_sbd as voc_sbd_format
from mmsegsup.formats.class_names import VOC_CLASSES
from mmsegsup.formats.errors import FormatError, MissingFileError
from mmsegsup.formats.palettes import voc_palette
from mmsegsup.formats.voc_sbd import (build_voc_sbd_split, load_sbd_instances, load_voc_instances,
                                      read_split, voc_sbd_to_coco)
from tools_utils import REPO

H, W = 8, 10
PERSON, DOG, CHAIR = 15, 12, 9  # 1-based VOC indices

# ids as in the real lists; the roles below drive the train_aug checks
A = '2007_000032'  # VOC train, also in SBD train (VOC annotation must win)
B = '2007_000039'  # VOC train, no object at all
C = '2007_000063'  # VOC val, also in SBD train (must leave train_aug)
D = '2007_000068'  # VOC val
E = '2008_000002'  # SBD train + val (dedup), image in VOC JPEGImages, no VOC annotation
F = '2008_000003'  # SBD val only, image only in SBD img/


def scene() -> Tuple[np.ndarray, np.ndarray]:
    """Object and class maps: two persons (one ringed by void) and a dog."""
    obj = np.zeros((H, W), np.uint8)
    obj[0:5, 0:5] = 255  # void ring around instance 1
    obj[1:4, 1:4] = 1
    obj[5:8, 6:10] = 2
    obj[1:3, 6:9] = 3
    cls = np.zeros((H, W), np.uint8)
    cls[obj == 255] = 255
    cls[obj == 1] = PERSON
    cls[obj == 2] = PERSON
    cls[obj == 3] = DOG
    # minority noise inside instance 1: the vote must still say person
    cls[1, 1] = CHAIR
    cls[2, 2] = 255
    cls[3, 3] = 255
    return obj, cls


def expected_masks(obj: np.ndarray, ids=(1, 2, 3)) -> np.ndarray:
    return np.stack([(obj == k).astype(np.uint8) for k in ids])


def write_png(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(arr.astype(np.uint8))  # mode L; putpalette turns it into P
    img.putpalette([c for rgb in voc_palette() for c in rgb])
    assert img.mode == 'P'
    img.save(path)


def write_jpg(path: Path, h: int = H, w: int = W) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 127, np.uint8)).save(path)


def write_sbd(root: Path, img_id: str, inst: np.ndarray, cats) -> None:
    """inst/<id>.mat and cls/<id>.mat with SBD's struct layout."""
    cats = np.asarray(cats, dtype=np.uint8).reshape(-1, 1)  # N x 1 column like SBD
    bounds = np.empty((len(cats), 1), dtype=object)
    for k in range(len(cats)):
        bounds[k, 0] = scipy.sparse.csc_matrix((inst == k + 1).astype(np.float64))
    (root / 'inst').mkdir(parents=True, exist_ok=True)
    (root / 'cls').mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(
        root / 'inst' / f'{img_id}.mat',
        {'GTinst': {'Segmentation': inst.astype(np.uint8), 'Boundaries': bounds,
                    'Categories': cats}})
    cls = np.zeros_like(inst, dtype=np.uint8)
    for k, c in enumerate(cats[:, 0], start=1):
        cls[inst == k] = c
    cls_bounds = np.empty((len(VOC_CLASSES), 1), dtype=object)
    for k in range(len(VOC_CLASSES)):
        cls_bounds[k, 0] = scipy.sparse.csc_matrix((H, W))
    scipy.io.savemat(
        root / 'cls' / f'{img_id}.mat',
        {'GTcls': {'Segmentation': cls, 'Boundaries': cls_bounds,
                   'CategoriesPresent': np.unique(cats).astype(np.uint8)}})


def sbd_scene() -> np.ndarray:
    obj, _ = scene()
    inst = obj.copy()
    inst[inst == 255] = 0  # SBD has no void label
    return inst


@pytest.fixture()
def tree(tmp_path: Path) -> Dict[str, Path]:
    voc = tmp_path / 'VOCdevkit' / 'VOC2012'
    sbd_release = tmp_path / 'benchmark_RELEASE'
    sbd = sbd_release / 'dataset'
    lists = voc / 'ImageSets' / 'Segmentation'
    lists.mkdir(parents=True)
    (lists / 'train.txt').write_text(f'{A}\n{B}\n')
    (lists / 'val.txt').write_text(f'{C}\n{D}\n\n')
    obj, cls = scene()
    for img_id in (A, C, D):
        write_png(voc / 'SegmentationObject' / f'{img_id}.png', obj)
        write_png(voc / 'SegmentationClass' / f'{img_id}.png', cls)
    write_png(voc / 'SegmentationObject' / f'{B}.png', np.zeros((H, W), np.uint8))
    write_png(voc / 'SegmentationClass' / f'{B}.png', np.zeros((H, W), np.uint8))
    for img_id in (A, B, C, D, E):
        write_jpg(voc / 'JPEGImages' / f'{img_id}.jpg')

    sbd.mkdir(parents=True)
    (sbd / 'train.txt').write_text(f'{A}\n{C}\n{E}\n')
    (sbd / 'val.txt').write_text(f'{E}\n{F}\n')
    inst = sbd_scene()
    write_sbd(sbd, A, (inst == 2).astype(np.uint8), [PERSON])  # differs from VOC on purpose
    write_sbd(sbd, C, inst, [PERSON, PERSON, DOG])
    write_sbd(sbd, E, inst, [PERSON, PERSON, DOG])
    write_sbd(sbd, F, inst, [PERSON, PERSON, DOG])
    for img_id in (A, C, E, F):
        write_jpg(sbd / 'img' / f'{img_id}.jpg')
    return dict(voc=voc, sbd=sbd, sbd_release=sbd_release)


def check_scene(masks: np.ndarray, labels: np.ndarray) -> None:
    obj, _ = scene()
    assert masks.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(masks, expected_masks(obj))
    assert labels.tolist() == [PERSON - 1, PERSON - 1, DOG - 1]
    assert VOC_CLASSES[labels[0]] == 'person' and VOC_CLASSES[labels[2]] == 'dog'


# ----------------------------------------------------------------- file readers


def test_palette_and_classes():
    pal = voc_palette()
    assert len(VOC_CLASSES) == 20 and VOC_CLASSES[0] == 'aeroplane'
    assert VOC_CLASSES[-1] == 'tvmonitor'
    assert pal[0] == (0, 0, 0) and pal[1] == (128, 0, 0) and pal[15] == (192, 128, 128)
    assert pal[255] == (224, 224, 192)


def test_load_voc_instances(tree):
    voc = tree['voc']
    masks, labels = load_voc_instances(
        str(voc / 'SegmentationObject' / f'{A}.png'), str(voc / 'SegmentationClass' / f'{A}.png'))
    check_scene(masks, labels)
    assert not masks[:, 0, :].any()  # void ring belongs to no instance

    masks, labels = load_voc_instances(
        str(voc / 'SegmentationObject' / f'{B}.png'), str(voc / 'SegmentationClass' / f'{B}.png'))
    assert masks.shape == (0, H, W) and labels.shape == (0, )


def test_sbd_mat_layout_reads_back_like_real_sbd(tree):
    raw = scipy.io.loadmat(tree['sbd'] / 'inst' / f'{C}.mat', struct_as_record=False,
                           squeeze_me=True)
    gt = raw['GTinst']
    assert isinstance(gt, scipy.io.matlab.mat_struct)
    assert set(gt._fieldnames) == {'Segmentation', 'Boundaries', 'Categories'}
    assert gt.Segmentation.shape == (H, W) and gt.Segmentation.dtype == np.uint8
    assert gt.Categories.tolist() == [PERSON, PERSON, DOG]
    assert scipy.sparse.issparse(gt.Boundaries[0])
    # one instance: squeeze_me collapses Categories to a scalar
    single = scipy.io.loadmat(tree['sbd'] / 'inst' / f'{A}.mat', struct_as_record=False,
                              squeeze_me=True)['GTinst']
    assert np.ndim(single.Categories) == 0


def test_load_sbd_instances(tree):
    sbd = tree['sbd']
    check_scene(*load_sbd_instances(str(sbd / 'inst' / f'{C}.mat'), str(sbd / 'cls' / f'{C}.mat')))
    masks, labels = load_sbd_instances(str(sbd / 'inst' / f'{A}.mat'),
                                       str(sbd / 'cls' / f'{A}.mat'))
    assert masks.shape == (1, H, W) and labels.tolist() == [PERSON - 1]
    np.testing.assert_array_equal(masks[0], sbd_scene() == 2)


# ----------------------------------------------------------------------- splits


def test_splits(tree):
    voc, sbd = str(tree['voc']), str(tree['sbd'])
    assert read_split(osp.join(voc, 'ImageSets', 'Segmentation', 'val.txt')) == [C, D]
    assert [e.img_id for e in build_voc_sbd_split(voc, None, 'train')] == [A, B]
    val = build_voc_sbd_split(voc, None, 'val')
    assert [e.img_id for e in val] == [C, D] and {e.source for e in val} == {'voc'}

    aug = {e.img_id: e for e in build_voc_sbd_split(voc, sbd, 'train_aug')}
    assert list(aug) == sorted([A, B, E, F])  # deduplicated, VOC val (C, D) removed
    assert aug[A].source == 'voc' and aug[A].inst_path.endswith(f'SegmentationObject/{A}.png')
    assert aug[B].source == 'voc'
    assert aug[E].source == 'sbd' and aug[E].cls_path.endswith(f'cls/{E}.mat')
    assert aug[E].img_path == osp.join(voc, 'JPEGImages', f'{E}.jpg')  # VOC image preferred
    assert aug[F].img_path == osp.join(sbd, 'img', f'{F}.jpg')  # only SBD has it
    check_scene(*aug[E].load())
    # benchmark_RELEASE (parent of dataset/) is accepted too
    aug2 = build_voc_sbd_split(voc, str(tree['sbd_release']), 'train_aug')
    assert [e.img_id for e in aug2] == list(aug)


# ---------------------------------------------------------------------- mmdet


def pipeline():
    return [
        dict(type='LoadImageFromFile'),  # mmcv's, found from any scope
        dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    ]


def test_dataset_with_mmdet_load_annotations(tree):
    from mmsegsup.registry import DATASETS
    ds = DATASETS.build(
        dict(type='VOCSBDInstanceDataset', voc_root=str(tree['voc']), sbd_root=str(tree['sbd']),
             split='train_aug', pipeline=pipeline()))
    assert ds.metainfo['classes'] == VOC_CLASSES and len(ds.metainfo['palette']) == 20
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == sorted([A, B, E, F])
    obj, _ = scene()
    by_id = {ds.get_data_info(i)['img_id']: i for i in range(len(ds))}

    info = ds.get_data_info(by_id[A])
    assert (info['height'], info['width']) == (H, W)
    inst = info['instances'][0]
    assert inst['bbox'] == [1.0, 1.0, 4.0, 4.0] and inst['ignore_flag'] == 0
    assert isinstance(inst['mask']['counts'], str) and inst['mask']['size'] == [H, W]

    for img_id in (A, E):
        out = ds[by_id[img_id]]
        assert out['img'].shape == (H, W, 3)
        np.testing.assert_array_equal(out['gt_masks'].masks, expected_masks(obj))
        assert out['gt_bboxes_labels'].tolist() == [PERSON - 1, PERSON - 1, DOG - 1]
        assert not out['gt_ignore_flags'].any()  # str RLE counts are accepted, not ignored
        np.testing.assert_allclose(out['gt_bboxes'].tensor.numpy(),
                                   [[1, 1, 4, 4], [6, 5, 10, 8], [6, 1, 9, 3]])
    empty = ds[by_id[B]]
    assert empty['gt_masks'].masks.shape == (0, H, W) and len(empty['gt_bboxes']) == 0


def test_dataset_filter_and_class_subset(tree):
    from mmsegsup.registry import DATASETS
    base = dict(type='VOCSBDInstanceDataset', voc_root=str(tree['voc']), split='train',
                pipeline=[], serialize_data=False)  # skips a slow gc.collect per build
    assert len(DATASETS.build(base)) == 2
    assert len(DATASETS.build(dict(base, filter_cfg=dict(filter_empty_gt=False)))) == 2
    kept = DATASETS.build(dict(base, filter_cfg=dict(filter_empty_gt=True)))
    assert [kept.get_data_info(i)['img_id'] for i in range(len(kept))] == [A]
    # (with serialize_data=True mmengine would crash on this empty list)
    assert len(DATASETS.build(dict(base, filter_cfg=dict(min_size=H + 1)))) == 0
    assert len(DATASETS.build(dict(base, test_mode=True,
                                   filter_cfg=dict(filter_empty_gt=True)))) == 2
    # data_root joins relative roots
    rel = DATASETS.build(dict(base, data_root=str(tree['voc'].parent), voc_root='VOC2012'))
    assert len(rel) == 2

    dogs = DATASETS.build(dict(base, metainfo=dict(classes=('dog', ))))
    insts = dogs.get_data_info(0)['instances']
    assert [i['bbox_label'] for i in insts] == [0]
    with pytest.raises(ValueError, match='not VOC classes'):
        DATASETS.build(dict(base, metainfo=dict(classes=('unicorn', ))))


# ------------------------------------------------------------------- converter


def test_voc_sbd_to_coco(tree, tmp_path):
    from mmsegsup.registry import DATASETS
    from pycocotools.coco import COCO
    out = tmp_path / 'ann' / 'train_aug.json'
    counts = voc_sbd_to_coco(str(tree['voc']), str(tree['sbd']), 'train_aug', str(out))
    assert counts == dict(images=4, annotations=9)
    assert [p.name for p in out.parent.iterdir()] == ['train_aug.json']  # no temp file left

    coco = COCO(str(out))
    assert sorted(coco.getCatIds()) == list(range(1, 21))
    assert [coco.cats[i]['name'] for i in range(1, 21)] == list(VOC_CLASSES)
    obj, _ = scene()
    expected = {A: expected_masks(obj), B: np.zeros((0, H, W)), E: expected_masks(obj),
                F: expected_masks(obj)}
    for img in coco.dataset['images']:
        assert not osp.isabs(img['file_name']) or img['voc_id'] == F
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img['id']))
        got = np.stack([coco.annToMask(a) for a in anns]) if anns else np.zeros((0, H, W))
        np.testing.assert_array_equal(got, expected[img['voc_id']])
        for a in anns:
            assert a['iscrowd'] == 0 and a['area'] == coco.annToMask(a).sum()
    first = coco.loadAnns(coco.getAnnIds(imgIds=1))[0]
    assert first['bbox'] == [1.0, 1.0, 3.0, 3.0] and first['category_id'] == PERSON

    # mmdet's CocoDataset reads it with the documented settings
    ds = DATASETS.build(
        dict(type='CocoDataset', ann_file=str(out), metainfo=dict(classes=VOC_CLASSES),
             data_prefix=dict(img=str(tree['voc'] / 'JPEGImages') + '/'), pipeline=pipeline()))
    assert len(ds) == 4
    sample = ds[0]
    np.testing.assert_array_equal(sample['gt_masks'].masks, expected_masks(obj))
    assert sample['gt_bboxes_labels'].tolist() == [PERSON - 1, PERSON - 1, DOG - 1]


def test_cli(tree, tmp_path):
    spec = importlib.util.spec_from_file_location(
        'voc_sbd_to_coco_cli', osp.join(REPO, 'tools/dataset_converters/voc_sbd_to_coco.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / 'val.json'
    assert cli.main(['--voc-root', str(tree['voc']), '--split', 'val', '--out', str(out)]) == 0
    data = json.loads(out.read_text())
    assert [i['voc_id'] for i in data['images']] == [C, D] and len(data['annotations']) == 6


# ------------------------------------------------------------------ bad inputs


def raises_with(exc, *parts):
    return pytest.raises(exc, match='.*'.join(re.escape(str(p)) for p in parts))


def test_missing_files(tree):
    voc, sbd = tree['voc'], tree['sbd']
    obj = voc / 'SegmentationObject' / f'{A}.png'
    missing = voc / 'SegmentationClass' / 'nope.png'
    with raises_with(MissingFileError, missing):
        load_voc_instances(str(obj), str(missing))
    with raises_with(MissingFileError, sbd / 'inst' / 'nope.mat'):
        load_sbd_instances(str(sbd / 'inst' / 'nope.mat'), str(sbd / 'cls' / f'{A}.mat'))
    lst = voc / 'ImageSets' / 'Segmentation' / 'trainval.txt'
    with raises_with(MissingFileError, lst):
        read_split(str(lst))
    (voc / 'JPEGImages' / f'{B}.jpg').unlink()
    with raises_with(MissingFileError, voc / 'JPEGImages' / f'{B}.jpg'):
        build_voc_sbd_split(str(voc), None, 'train')
    (voc / 'SegmentationObject' / f'{D}.png').unlink()
    with raises_with(MissingFileError, voc / 'SegmentationObject' / f'{D}.png'):
        build_voc_sbd_split(str(voc), None, 'val')
    # SBD's list misses: the error names the SBD list path
    (sbd / 'val.txt').unlink()
    with raises_with(MissingFileError, sbd / 'val.txt'):
        build_voc_sbd_split(str(voc), str(sbd), 'train_aug')
    with pytest.raises(ValueError, match='sbd_root'):
        build_voc_sbd_split(str(voc), None, 'train_aug')
    with pytest.raises(ValueError, match='split must be one of'):
        build_voc_sbd_split(str(voc), None, 'trainval')


def test_bad_mat_files(tree, tmp_path):
    cls_mat = tree['sbd'] / 'cls' / f'{C}.mat'
    no_struct = tmp_path / 'no_struct.mat'
    scipy.io.savemat(no_struct, {'inst': np.zeros((H, W), np.uint8)})
    with raises_with(FormatError, no_struct, 'GTinst'):
        load_sbd_instances(str(no_struct), str(cls_mat))
    no_field = tmp_path / 'no_field.mat'
    scipy.io.savemat(no_field, {'GTinst': {'Segmentation': sbd_scene()}})
    with raises_with(FormatError, no_field, 'Categories'):
        load_sbd_instances(str(no_field), str(cls_mat))
    few_cats = tmp_path / 'few_cats.mat'
    scipy.io.savemat(few_cats, {'GTinst': {'Segmentation': sbd_scene(), 'Categories': [[15]]}})
    with raises_with(FormatError, few_cats, 'Categories'):
        load_sbd_instances(str(few_cats), str(cls_mat))
    garbage = tmp_path / 'garbage.mat'
    garbage.write_bytes(b'not a mat file at all')
    with raises_with(FormatError, garbage):
        load_sbd_instances(str(garbage), str(cls_mat))
    small_cls = tmp_path / 'small_cls.mat'
    scipy.io.savemat(small_cls, {'GTcls': {'Segmentation': np.zeros((H, W + 1), np.uint8)}})
    with raises_with(FormatError, tree['sbd'] / 'inst' / f'{C}.mat', small_cls):
        load_sbd_instances(str(tree['sbd'] / 'inst' / f'{C}.mat'), str(small_cls))


def test_bad_pngs(tree, tmp_path):
    voc = tree['voc']
    obj = voc / 'SegmentationObject' / f'{A}.png'
    small = tmp_path / 'small_cls.png'
    write_png(small, np.zeros((H - 1, W), np.uint8))
    with raises_with(FormatError, obj, (H, W), small, (H - 1, W)):
        load_voc_instances(str(obj), str(small))
    rgb = tmp_path / 'rgb.png'
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(rgb)
    with raises_with(FormatError, rgb, 'indexed'):
        load_voc_instances(str(rgb), str(small))
    orphan = tmp_path / 'orphan_cls.png'
    write_png(orphan, np.zeros((H, W), np.uint8))
    with raises_with(FormatError, 'instance 1', obj, orphan):
        load_voc_instances(str(obj), str(orphan))


def test_annotation_image_size_mismatch(tree):
    voc = tree['voc']
    write_jpg(voc / 'JPEGImages' / f'{A}.jpg', H + 2, W)
    with raises_with(FormatError, voc / 'JPEGImages' / f'{A}.jpg', f'{A}.png'):
        voc_sbd_to_coco(str(voc), None, 'train', str(voc / 'out.json'))
    assert not (voc / 'out.json').exists()


def test_module_exports():
    for module in (voc_sbd, voc_sbd_format):
        for name in module.__all__:
            assert hasattr(module, name)
    # one address per name: the readers live in the format module only
    assert voc_sbd.__all__ == ['VOCSBDInstanceDataset']
    for name in ('SPLITS', 'VOCSBDEntry', 'load_voc_instances', 'load_sbd_instances',
                 'read_split', 'voc_sbd_to_coco'):
        assert not hasattr(voc_sbd, name), name
