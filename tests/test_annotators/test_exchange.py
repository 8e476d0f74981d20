"""Exports of a selection for Label Studio / CVAT and the import of what comes back
(mmsegsup.annotators.exchange)."""
import copy
import json
import os

import numpy as np
import pycocotools.mask as mask_util
import pytest

from mmsegsup.annotators.exchange import (CVAT_FILE, LS_CONFIG, LS_TASKS, export_selection,
                                          image_url, read_labels)
from mmsegsup.formats.coco_json import masks_to_rles
from mmsegsup.formats.errors import FormatError


def _masks():
    """Awkward shapes on a 12 x 10 image: a ring (hole), two parts, one touching every
    border."""
    ring = np.zeros((12, 10), np.uint8)
    ring[1:6, 1:6] = 1
    ring[2:5, 2:5] = 0
    parts = np.zeros((12, 10), np.uint8)
    parts[7:9, 0:2] = parts[10:12, 7:10] = 1
    frame = np.zeros((12, 10), np.uint8)
    frame[[0, -1], :] = frame[:, [0, -1]] = 1
    return [ring, parts, frame]


@pytest.fixture
def asked():
    """Two images to annotate and their true labels (COCO)."""
    images = [dict(id=7, file_name='a/x.png', height=12, width=10),
              dict(id=9, file_name='y.png', height=12, width=10)]
    cats = [dict(id=1, name='circle'), dict(id=2, name='square')]
    rles = masks_to_rles(np.stack(_masks()))
    anns = [dict(id=k + 1, image_id=img, category_id=cat, segmentation=rle, iscrowd=0)
            for k, (img, cat, rle) in enumerate(zip((7, 7, 9), (1, 2, 2), rles))]
    return dict(ask=dict(images=images, categories=cats, annotations=[]),
                truth=dict(images=images, categories=cats, annotations=anns))


def _write(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def _same_masks(labels, truth):
    got = [(a['image_id'], a['category_id'], mask_util.decode(a['segmentation']).tolist())
           for a in labels['annotations']]
    want = [(a['image_id'], a['category_id'], mask_util.decode(a['segmentation']).tolist())
            for a in truth['annotations']]
    return sorted(got) == sorted(want)


def test_export_writes_each_tool_prefilled(asked, tmp_path):
    preds = [dict(a, score=s) for a, s in zip(asked['truth']['annotations'], (0.9, 0.5, 0.2))]
    paths = export_selection(asked['ask'], preds, str(tmp_path), ['label_studio', 'cvat'],
                             image_url('/data/imgs', 'http://host/imgs'), 'seed0/round1')
    assert sorted(os.listdir(tmp_path)) == sorted([LS_TASKS, LS_CONFIG, CVAT_FILE])
    tasks = json.loads((tmp_path / LS_TASKS).read_text())
    assert [t['data']['image'] for t in tasks] == ['http://host/imgs/a/x.png',
                                                   'http://host/imgs/y.png']
    first = tasks[0]['predictions'][0]
    assert first['model_version'] == 'seed0/round1'
    assert first['score'] == pytest.approx(0.7)  # mean predicted IoU: check the worst first
    assert [r['score'] for r in first['result']] == [0.9, 0.5]
    xml = (tmp_path / LS_CONFIG).read_text()
    assert '<Label value="circle"/>' in xml and '<Label value="square"/>' in xml
    cvat = json.loads((tmp_path / CVAT_FILE).read_text())
    assert len(cvat['annotations']) == 3
    with pytest.raises(ValueError, match='annotation tool'):
        export_selection(asked['ask'], preds, str(tmp_path), ['labelbox'], str, 'v')


def test_local_files_urls_for_label_studio():
    url = image_url('/data/my imgs')
    assert url(dict(file_name='a/x.png')) == '/data/local-files/?d=data/my%20imgs/a/x.png'


@pytest.mark.parametrize('tool', ['label_studio', 'cvat'])
def test_accepted_prefill_comes_back_pixel_exact(asked, tmp_path, tool):
    preds = [dict(a, score=0.8) for a in asked['truth']['annotations']]
    paths = export_selection(asked['ask'], preds, str(tmp_path), [tool], str, 'v')
    if tool == 'label_studio':  # annotators accept every pre-annotation and submit
        tasks = json.loads((tmp_path / LS_TASKS).read_text())
        for k, task in enumerate(tasks):
            task.update(id=100 + k, annotations=[dict(id=k, result=task['predictions'][0]
                                                       ['result'])])
        export = _write(tmp_path / 'export.json', tasks)
    else:  # CVAT's COCO 1.0 export of a task created from ours holds the same masks
        export = paths[CVAT_FILE]
    labels = read_labels(export, asked['ask'])
    assert [im['id'] for im in labels['images']] == [7, 9]
    assert _same_masks(labels, asked['truth'])


def test_coco_labels_checked_and_returned_as_rles(asked, tmp_path):
    truth = copy.deepcopy(asked['truth'])
    truth['annotations'][0]['segmentation'] = [[1, 1, 6, 1, 6, 6, 1, 6]]  # a polygon is fine
    labels = read_labels(_write(tmp_path / 'l.json', truth), asked['ask'])
    assert all(isinstance(a['segmentation']['counts'], str) for a in labels['annotations'])
    assert labels['categories'] == asked['ask']['categories']


def _broken(asked, change):
    bad = copy.deepcopy(asked['truth'])
    change(bad)
    return bad


@pytest.mark.parametrize('change, message', [
    (lambda c: c['images'].pop(), r'expected the annotations of the 2 selected images; '
                                  r'missing \[9\]'),
    (lambda c: c['images'].append(dict(id=3, file_name='z.png', height=12, width=10)),
     r'unexpected \[3\]'),
    (lambda c: c['images'][1].update(file_name='other.png'),
     r"image 9 \('other.png'\).*asked with id 9 is 'y.png'"),
    (lambda c: c['categories'][1].update(name='hexagon'),
     r"annotation 2 of image 7 \('a/x.png'\): class 'hexagon' is not in the dataset"),
    (lambda c: c['annotations'][2].update(segmentation=[[1, 2, 3]]),
     r"annotation 3 of image 9 \('y.png'\): malformed mask"),
    (lambda c: c['annotations'][0]['segmentation'].update(size=[10, 12]),
     r'annotation 1 of image 7.*malformed mask \(RLE size'),
    (lambda c: c['annotations'][1].update(segmentation=masks_to_rles(
        np.zeros((1, 12, 10), np.uint8))[0]), r'annotation 2 of image 7.*empty mask'),
    (lambda c: c['images'].append(dict(c['images'][0])), r'duplicate id 7'),
])
def test_bad_coco_labels_name_the_image_and_annotation(asked, tmp_path, change, message):
    path = _write(tmp_path / 'bad.json', _broken(asked, change))
    with pytest.raises(FormatError, match=message):
        read_labels(path, asked['ask'])


def test_bad_label_studio_export_names_the_task(asked, tmp_path):
    preds = [dict(a, score=0.8) for a in asked['truth']['annotations']]
    export_selection(asked['ask'], preds, str(tmp_path), ['label_studio'], str, 'v')
    tasks = json.loads((tmp_path / LS_TASKS).read_text())
    for k, task in enumerate(tasks):
        task.update(id=100 + k, annotations=[dict(id=k, result=task['predictions'][0]['result'])])
    tasks[1]['annotations'][0]['result'][0]['value']['brushlabels'] = ['hexagon']
    with pytest.raises(FormatError, match=r"task 101.*image 9.*'hexagon' is not in the dataset"):
        read_labels(_write(tmp_path / 'export.json', tasks), asked['ask'])
    with pytest.raises(FormatError, match=r"image 9 \('y.png'\)"):  # a task missing
        read_labels(_write(tmp_path / 'export.json', tasks[:1]), asked['ask'])
