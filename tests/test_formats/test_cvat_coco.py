"""CVAT's COCO 1.0: our masks out as a file CVAT imports, CVAT's export back (images by file
name, classes by name, masks as uncompressed RLE, polygons), bad exports, and telling the
labels formats apart."""
import copy
import json

import numpy as np
import pycocotools.mask as mask_util
import pytest

from annotation_cases import annotation_masks, awkward_coco
from mmsegsup.formats.cvat_coco import from_cvat_coco, to_cvat_coco
from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.label_studio import coco_to_tasks
from mmsegsup.formats.tool_labels import detect_label_format

SOURCE = 'annotations/instances_default.json'


@pytest.fixture(scope='module')
def case():
    coco, predictions, masks = awkward_coco()
    return coco, predictions, masks, to_cvat_coco(coco, predictions)


def test_export_is_coco_1_0_as_cvat_writes_it(case):
    coco, predictions, masks, cvat = case
    assert cvat['licenses'] == [{'name': '', 'id': 0, 'url': ''}]
    assert [(c['id'], c['name']) for c in cvat['categories']] == [
        (k, c['name']) for k, c in enumerate(coco['categories'], 1)]  # CVAT matches by name
    assert [(im['file_name'], im['height'], im['width']) for im in cvat['images']] == [
        (im['file_name'], im['height'], im['width']) for im in coco['images']]
    assert [a['score'] for a in cvat['annotations']] == [p['score'] for p in predictions]
    for ann, mask in zip(cvat['annotations'], masks, strict=True):
        assert ann['iscrowd'] == 1 and isinstance(ann['segmentation']['counts'], list)
        # read the way Datumaro reads an uncompressed RLE
        rle = mask_util.frPyObjects(ann['segmentation'], *ann['segmentation']['size'])
        assert np.array_equal(mask_util.decode(rle).astype(bool), mask)
        assert ann['area'] == mask.sum()
    json.dumps(cvat)  # a file


def as_cvat_export(cvat: dict) -> dict:
    """What CVAT exports after importing ``cvat`` into a task: its own ids (images from 1 in
    frame order, labels in the task's order), file names without our folders."""
    export = json.loads(json.dumps(cvat))
    category_ids = {c['id']: 10 + k for k, c in enumerate(reversed(export['categories']))}
    for cat in export['categories']:
        cat['id'] = category_ids[cat['id']]
    for image in export['images']:
        image['id'] += 40
        image['file_name'] = image['file_name'].split('/')[-1]
    for ann in export['annotations']:
        ann['image_id'] += 40
        ann['category_id'] = category_ids[ann['category_id']]
        ann.pop('score')
    return export


def test_masks_come_back_pixel_exact(case):
    coco, predictions, masks, cvat = case
    export, before = as_cvat_export(cvat), copy.deepcopy(coco)
    labels = from_cvat_coco(export, coco, SOURCE)
    assert export == as_cvat_export(cvat) and coco == before  # inputs left as they were
    assert labels['images'] == coco['images'] and labels['categories'] == coco['categories']
    assert [(a['image_id'], a['category_id'], a['iscrowd']) for a in labels['annotations']] == [
        (p['image_id'], p['category_id'], 0) for p in predictions]
    got = annotation_masks(labels)
    assert len(got) == len(masks)
    assert all(np.array_equal(g, m) for g, m in zip(got, masks))
    assert isinstance(labels['annotations'][0]['segmentation']['counts'], str)


def test_polygons_and_compressed_rles_are_read_as_pycocotools_does(case):
    coco, _, masks, cvat = case
    export = as_cvat_export(cvat)
    # two parts, one touching the right and bottom borders (CVAT: polygons, iscrowd 0)
    polygons = [[1.5, 1.5, 20.2, 3.0, 8.0, 15.7], [40.0, 20.0, 53.0, 25.0, 53.0, 37.0, 35.0, 37.0]]
    export['annotations'][0].update(segmentation=polygons, iscrowd=0)
    compressed = mask_util.encode(np.asfortranarray(masks[1].astype(np.uint8)))
    export['annotations'][1]['segmentation'] = dict(compressed,
                                                    counts=compressed['counts'].decode())
    labels = from_cvat_coco(export, coco, SOURCE)
    got = annotation_masks(labels)
    expected = mask_util.decode(mask_util.merge(mask_util.frPyObjects(polygons, 37, 53)))
    assert np.array_equal(got[0], expected) and expected[36, 52] and expected.sum() > 100
    assert np.array_equal(got[1], masks[1])


def zero_counts(export):
    ann = export['annotations'][0]
    ann['segmentation']['counts'] = [37 * 53]


def drop_third_image(export):
    image = export['images'].pop(2)
    export['annotations'] = [a for a in export['annotations'] if a['image_id'] != image['id']]


def add_unknown_class(export):
    export['categories'].append({'id': 99, 'name': 'horse', 'supercategory': ''})
    export['annotations'][0]['category_id'] = 99


ANN = r"annotation 1 of image 3 \('odd/a.png'\): "
BAD_EXPORTS = [
    (lambda e: e['images'][0].update(file_name='zebra.png'),
     r"CVAT image 41 \('zebra.png'\): unknown image 'zebra.png' \(not among the 5 images"),
    (lambda e: e['images'].append(dict(e['images'][0], id=99)),
     r"CVAT image 99 \('a.png'\): image 3 \('odd/a.png'\) is annotated twice \(also by CVAT "
     r"image 41"),
    (drop_third_image,
     r"no submitted annotation for 1 expected image\(s\): image 23 \('c.jpg'\)"),
    (lambda e: e['images'][0].update(width=54),
     r"CVAT image 41 \('a.png'\): size 54 x 37 is not the size 53 x 37 of image 3"),
    (lambda e: e['images'][0].pop('height'), r'images\[0\] lacks'),
    (add_unknown_class, ANN + r"class 'horse' is not in the dataset"),
    (lambda e: e['annotations'][0].update(category_id=5), ANN + 'unknown category_id 5'),
    (lambda e: e['annotations'][0].update(image_id=7),
     r'annotation 1: image_id 7 is not an image of the export'),
    (lambda e: e['annotations'].__setitem__(0, 3), r'annotation #0: expected an object'),
    (zero_counts, ANN + 'empty mask'),
    (lambda e: e['annotations'][0].update(segmentation=[]), ANN + r'no mask \(a box'),
    (lambda e: e['annotations'][0]['segmentation'].update(counts=[5, 7]),
     ANN + r'uncompressed RLE counts must be non-negative ints summing to 1961'),
    (lambda e: e['annotations'][0]['segmentation'].update(counts=[1961.0]),
     ANN + 'uncompressed RLE counts must be'),
    (lambda e: e['annotations'][0]['segmentation'].update(counts='0P0'),
     ANN + 'RLE counts must be non-negative runs summing to 1961'),
    (lambda e: e['annotations'][0]['segmentation'].update(counts=None),
     ANN + 'RLE counts must be a string or a list of ints'),
    (lambda e: e['annotations'][0]['segmentation'].update(size=[53, 37]),
     ANN + r'RLE size \[53, 37\] is not the image size \[37, 53\]'),
    (lambda e: e['annotations'][0].update(segmentation=[[1, 2, 3, 4]]),
     ANN + 'a polygon must be a list of at least 3'),
    (lambda e: e['annotations'][0].update(segmentation='mask'), ANN + 'segmentation must be'),
    (lambda e: e.pop('annotations'), r"missing or malformed COCO field 'annotations'"),
]


@pytest.mark.parametrize('edit, message', BAD_EXPORTS)
def test_bad_exports_name_the_image_and_annotation(case, edit, message):
    coco, _, _, cvat = case
    export = as_cvat_export(cvat)
    edit(export)
    with pytest.raises(FormatError, match=f'^{SOURCE}: {message}') as err:
        from_cvat_coco(export, coco, SOURCE)
    assert err.value.path == SOURCE


@pytest.mark.parametrize('export', [[], None, 'coco'])
def test_an_export_that_is_not_a_coco_object_is_a_format_error(case, export):
    with pytest.raises(FormatError, match=f'^{SOURCE}: expected a JSON object'):
        from_cvat_coco(export, case[0], SOURCE)


def test_bad_predictions_name_the_prediction(case):
    coco, predictions, _, _ = case
    predictions = copy.deepcopy(predictions)
    predictions[3]['score'] = float('nan')
    with pytest.raises(FormatError, match=r"prediction #3 of image 13 \('odd/b.png'\): score"):
        to_cvat_coco(coco, predictions)


def test_detect_label_format_by_content(case, tmp_path):
    coco, predictions, _, cvat = case
    files = {'ls.json': coco_to_tasks(coco, lambda im: im['file_name'], predictions),
             'cvat.json': as_cvat_export(cvat), 'ours.json': dict(coco, info={'year': 2026})}
    expected = {'ls.json': 'label_studio', 'cvat.json': 'cvat_coco', 'ours.json': 'coco'}
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
        assert detect_label_format(str(tmp_path / name)) == expected[name]
    (tmp_path / 'bad.json').write_text('{"images": [')
    with pytest.raises(FormatError, match='bad.json: not valid JSON'):
        detect_label_format(str(tmp_path / 'bad.json'))
    (tmp_path / 'odd.json').write_text('{"images": []}')
    with pytest.raises(FormatError, match="odd.json: missing or malformed COCO field 'annot"):
        detect_label_format(str(tmp_path / 'odd.json'))
