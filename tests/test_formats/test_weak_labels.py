"""Weak labels of W-RSIS: conversion from COCO, the file format, its validation and the CLI."""
import json
import os.path as osp
from collections import Counter

import pytest

from mmsegsup.datasets.synthetic import SHAPE_CLASSES, generate_shapes
from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.weak_labels import (FORMAT_TAG, WEAK_LABELS, WEAK_LABELS_COUNTS,
                                           WeakLabels, check_against_annotations,
                                           load_weak_labels, normalize_weak_type,
                                           save_weak_labels, weak_labels_from_coco)
from tools_utils import run

CLI = 'tools/dataset_converters/coco_to_weak_labels.py'


@pytest.fixture
def ann_file(tmp_path) -> str:
    return generate_shapes(str(tmp_path / 'shapes'), 'train', 8, seed=3, size=32, max_objects=5)


@pytest.fixture
def weak_file(tmp_path, ann_file) -> str:
    path = str(tmp_path / 'weak.json')
    save_weak_labels(weak_labels_from_coco(ann_file), path)
    return path


def coco_counts(ann_file: str) -> dict:
    """Instances per image file name and class name, computed straight from the json."""
    with open(ann_file) as f:
        coco = json.load(f)
    names = {img['id']: img['file_name'] for img in coco['images']}
    classes = {cat['id']: cat['name'] for cat in coco['categories']}
    counts = {name: Counter() for name in names.values()}
    for ann in coco['annotations']:
        counts[names[ann['image_id']]][classes[ann['category_id']]] += 1
    return {name: dict(c) for name, c in counts.items()}


def read(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def write(path: str, doc: dict) -> str:
    with open(path, 'w') as f:
        json.dump(doc, f)
    return path


def first_image_with(doc: dict, cls: str) -> str:
    return next(name for name, counts in doc['images'].items() if cls in counts)


def load_error(path: str, **kwargs) -> str:
    with pytest.raises(FormatError) as err:
        load_weak_labels(path, **kwargs)
    return str(err.value)


# ---- conversion and round trip -------------------------------------------------------------

def test_counts_equal_the_json(ann_file):
    weak = weak_labels_from_coco(ann_file)
    assert weak.weak_type == WEAK_LABELS_COUNTS
    assert weak.classes == SHAPE_CLASSES
    assert {name: weak.counts(name) for name in weak.images} == coco_counts(ann_file)
    assert any(n > 1 for counts in weak.images.values() for n in counts.values())


def test_round_trip(tmp_path, ann_file, weak_file):
    weak = weak_labels_from_coco(ann_file)
    doc = read(weak_file)
    assert (doc['format'], doc['version'], doc['weak_type']) == (FORMAT_TAG, 1, 'labels+counts')
    assert doc['classes'] == list(SHAPE_CLASSES)
    assert load_weak_labels(weak_file) == weak
    assert load_weak_labels(weak_file, classes=SHAPE_CLASSES) == weak
    again = str(tmp_path / 'again.json')
    save_weak_labels(load_weak_labels(weak_file), again)
    assert read(again) == doc


def test_class_tokens_ordered_by_class_then_repetition():
    weak = WeakLabels('labels+counts', SHAPE_CLASSES,
                      {'a.png': {'triangle': 1, 'circle': 2, 'square': 3}, 'empty.png': {}})
    assert weak.class_tokens('a.png') == [0, 0, 1, 1, 1, 2]
    assert weak.labels('a.png') == [0, 1, 2]
    assert weak.class_tokens('empty.png') == weak.labels('empty.png') == []
    with pytest.raises(KeyError, match='nope.png'):
        weak.counts('nope.png')


def test_class_tokens_of_converted_data(ann_file):
    weak = weak_labels_from_coco(ann_file)
    for name, counts in coco_counts(ann_file).items():
        tokens = weak.class_tokens(name)
        assert tokens == sorted(tokens)
        assert Counter(SHAPE_CLASSES[t] for t in tokens) == Counter(counts)


def test_dataset_class_order_is_used(weak_file):
    order = ('triangle', 'circle', 'square')
    weak = load_weak_labels(weak_file, classes=order)
    assert weak.classes == order
    name = first_image_with(read(weak_file), 'triangle')
    assert weak.labels(name)[0] == 0 and weak.class_tokens(name)[0] == 0


def test_labels_type_holds_ones(tmp_path, ann_file):
    weak = weak_labels_from_coco(ann_file, weak_type='labels')
    assert weak.weak_type == WEAK_LABELS
    assert {name: set(c) for name, c in weak.images.items()} == \
        {name: set(c) for name, c in coco_counts(ann_file).items()}
    assert all(n == 1 for counts in weak.images.values() for n in counts.values())
    path = str(tmp_path / 'labels.json')
    save_weak_labels(weak, path)
    assert load_weak_labels(path) == weak
    with pytest.raises(ValueError, match='no counts'):
        weak.as_weak_type('labels+counts')


def test_budget_kind_names_are_accepted():
    assert normalize_weak_type('IL') == normalize_weak_type('image_labels') == WEAK_LABELS
    assert normalize_weak_type('IL+C') == normalize_weak_type('labels_counts') == \
        WEAK_LABELS_COUNTS
    with pytest.raises(ValueError, match='boxes'):
        normalize_weak_type('boxes')


# ---- validation on load --------------------------------------------------------------------

def test_class_the_dataset_lacks(weak_file):
    image = first_image_with(read(weak_file), 'triangle')
    msg = load_error(weak_file, classes=('circle', 'square'))
    assert 'dataset lacks' in msg
    assert all(part in msg for part in ("'triangle'", image, weak_file))


def test_class_not_in_file_classes(tmp_path, weak_file):
    doc = read(weak_file)
    image = next(iter(doc['images']))
    doc['images'][image]['hexagon'] = 1
    path = write(str(tmp_path / 'bad.json'), doc)
    msg = load_error(path)
    assert all(part in msg for part in ("'hexagon'", image, path))


def test_dataset_class_the_file_never_checked(weak_file):
    msg = load_error(weak_file, classes=SHAPE_CLASSES + ('hexagon', ))
    assert "'hexagon'" in msg and weak_file in msg


@pytest.mark.parametrize('count', [0, -1, 1.5, '2', True, None])
def test_bad_count(tmp_path, weak_file, count):
    doc = read(weak_file)
    image = first_image_with(doc, 'circle')
    doc['images'][image]['circle'] = count
    path = write(str(tmp_path / 'bad.json'), doc)
    msg = load_error(path)
    assert all(part in msg for part in (image, "'circle'", path))


def test_count_above_one_for_labels_type(tmp_path, weak_file):
    doc = read(weak_file)
    doc['weak_type'] = 'labels'
    msg = load_error(write(str(tmp_path / 'bad.json'), doc))
    assert 'presence only' in msg


@pytest.mark.parametrize('field, value, expected', [
    ('format', 'coco', 'format'), ('version', 2, 'version'), ('version', True, 'version'),
    ('weak_type', 'boxes', 'weak_type'), ('classes', [], 'classes'),
    ('classes', ['circle', 'circle', 'square', 'triangle'], "'circle'"),
    ('images', [], 'images')])
def test_bad_header(tmp_path, weak_file, field, value, expected):
    doc = read(weak_file)
    doc[field] = value
    path = write(str(tmp_path / 'bad.json'), doc)
    msg = load_error(path)
    assert expected in msg and path in msg


def test_unreadable_and_repeated_image(tmp_path):
    broken = str(tmp_path / 'broken.json')
    with open(broken, 'w') as f:
        f.write('{"format": ')
    assert broken in load_error(broken)
    repeated = str(tmp_path / 'repeated.json')
    with open(repeated, 'w') as f:
        f.write('{"format": "mmsegsup-weak-labels", "version": 1, "weak_type": "labels", '
                '"classes": ["a"], "images": {"x.png": {"a": 1}, "x.png": {}}}')
    assert "'x.png'" in load_error(repeated)


def test_save_refuses_invalid_labels(tmp_path):
    weak = WeakLabels('labels+counts', SHAPE_CLASSES, {'a.png': {'circle': 0}})
    path = str(tmp_path / 'never.json')
    with pytest.raises(FormatError, match='a.png'):
        save_weak_labels(weak, path)
    assert not osp.exists(path)


# ---- against the strong annotation ---------------------------------------------------------

def test_matching_labels_pass(ann_file, weak_file):
    check_against_annotations(load_weak_labels(weak_file), ann_file)
    check_against_annotations(weak_labels_from_coco(ann_file, 'labels'), ann_file)


def test_counts_that_do_not_match(ann_file, weak_file):
    weak = load_weak_labels(weak_file)
    image = first_image_with(read(weak_file), 'square')
    strong = weak.images[image]['square']
    weak.images[image]['square'] = strong + 1
    with pytest.raises(FormatError) as err:
        check_against_annotations(weak, ann_file)
    msg = str(err.value)
    assert 'do not match the strong annotation' in msg
    assert all(part in msg for part in (image, "'square'", ann_file,
                                        f'say {strong + 1}, the annotation has {strong}'))
    # image labels compare presence only: the same change is no mismatch there
    check_against_annotations(weak.as_weak_type('labels'), ann_file)


def test_class_absent_from_the_annotation(ann_file):
    weak = weak_labels_from_coco(ann_file)
    image, counts = next((n, c) for n, c in weak.images.items() if len(c) < len(SHAPE_CLASSES))
    absent = next(cls for cls in SHAPE_CLASSES if cls not in counts)
    counts[absent] = 1
    with pytest.raises(FormatError, match=f"{image}.*'{absent}'.*say 1.*has 0"):
        check_against_annotations(weak, ann_file)


@pytest.mark.parametrize('side', ['weak labels', 'strong annotation'])
def test_image_missing(ann_file, side):
    weak = weak_labels_from_coco(ann_file)
    if side == 'weak labels':
        image = next(iter(weak.images))
        del weak.images[image]
    else:
        image = 'not_in_coco.png'
        weak.images[image] = {}
    with pytest.raises(FormatError, match=f"{image}' is missing from the {side}"):
        check_against_annotations(weak, ann_file)


# ---- command line --------------------------------------------------------------------------

def run_cli(*args: str, subprocess: bool = False):
    return run([CLI, *args], subprocess=subprocess, check=False)


@pytest.mark.parametrize('weak_type', ['labels', 'labels+counts'])
def test_cli(tmp_path, ann_file, weak_type):
    out = str(tmp_path / 'cli' / 'weak.json')
    proc = run_cli(ann_file, out, '--weak-type', weak_type, subprocess=weak_type == 'labels')
    assert proc.returncode == 0, proc.stderr
    instances = sum(sum(c.values()) for c in coco_counts(ann_file).values())
    assert proc.stdout.strip() == (f'wrote {out} ({weak_type}): 8 images, {instances} '
                                   f'instances, {len(SHAPE_CLASSES)} classes')
    assert load_weak_labels(out) == weak_labels_from_coco(ann_file, weak_type)


def test_cli_bad_input(tmp_path):
    bad = write(str(tmp_path / 'bad.json'), {'images': []})
    proc = run_cli(bad, str(tmp_path / 'out.json'))
    assert proc.returncode == 2
    assert bad in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not osp.exists(tmp_path / 'out.json')
