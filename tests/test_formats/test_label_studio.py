"""Label Studio: brush RLE codec, labeling config, tasks with our masks as predictions, and the
import of Label Studio's JSON export (brush and polygon regions), bad exports included."""
import copy
import json
import xml.etree.ElementTree as ET

import numpy as np
import pycocotools.mask as mask_util
import pytest

from annotation_cases import CATEGORIES, annotation_masks, awkward_coco, awkward_masks
from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.label_studio import (coco_to_tasks, decode_brush_rle, encode_brush_rle,
                                           labeling_config, tasks_to_coco)

SOURCE = 'export.json'


def url(image: dict) -> str:
    return f'/data/local-files/?d=imgs/{image["file_name"]}'


def accepted_export(tasks: list) -> list:
    """Label Studio's JSON export of ``tasks`` after an annotator accepted every prediction
    (the regions are copied into a submitted annotation, as the editor does)."""
    export = []
    for k, task in enumerate(tasks):
        result = copy.deepcopy(task['predictions'][0]['result'])
        for region in result:
            region.pop('score')
        export.append({'id': 100 + k, 'data': task['data'], 'predictions': task['predictions'],
                       'annotations': [{'id': 500 + k, 'result': result, 'was_cancelled': False,
                                        'ground_truth': False, 'completed_by': 1}]})
    return json.loads(json.dumps(export))  # what a file holds


@pytest.fixture(scope='module')
def case():
    coco, predictions, masks = awkward_coco()
    tasks = coco_to_tasks(coco, url, predictions, model_version='rsis-r18')
    return coco, predictions, masks, tasks


def test_brush_rle_round_trip_keeps_every_pixel():
    for (h, w), masks in awkward_masks().values():
        for mask in masks:
            assert np.array_equal(decode_brush_rle(encode_brush_rle(mask), h, w), mask)
    # runs longer than 2**16 values (the widest field, split)
    big = np.zeros((300, 301), bool)
    big[150:, :] = True
    assert np.array_equal(decode_brush_rle(encode_brush_rle(big), 300, 301), big)


def test_brush_rle_equals_label_studio_sdk_known_answers():
    # label-studio-sdk 2.1.2: brush.mask2rle(np.array([[0, 1, 1], [1, 0, 0]], np.uint8) * 255)
    mask = np.array([[0, 1, 1], [1, 0, 0]], bool)
    golden = [0, 0, 0, 24, 57, 27, 252, 96, 22, 255, 231, 0, 0]
    assert encode_brush_rle(mask) == golden
    assert np.array_equal(decode_brush_rle(golden, 2, 3), mask)
    # an editor-style stream (fields 2/3/7/15 bits, literal blocks of several values, partial
    # alpha); the SDK's decode_rle gives RGBA [[0 0 0 0, 10 20 30 7], [255 x4, 1 2 3 0]]
    stream = [0, 0, 0, 16, 57, 27, 252, 96, 1, 133, 10, 15, 3, 211, 255, 12, 4, 8, 12, 0]
    assert decode_brush_rle(stream, 2, 2).tolist() == [[False, True], [True, False]]


@pytest.mark.parametrize('rle, message', [
    ([0, 0, 0, 24, 57.0], 'list of ints 0..255'), ('abc', 'list of ints 0..255'),
    ([0, 0, 0, 24, 300], 'list of ints 0..255'), ([0, 0, 0, 24, 57, 27], 'ends too early'),
    ([0, 0, 0, 28, 57, 27, 252, 96, 22, 255, 231, 0, 0], 'holds 28 values, expected 24')])
def test_malformed_brush_rle_is_a_value_error(rle, message):
    with pytest.raises(ValueError, match=message):
        decode_brush_rle(rle, 2, 3)


def test_labeling_config_has_both_tools_with_every_class_escaped():
    root = ET.fromstring(labeling_config([c['name'] for c in CATEGORIES]))
    assert root.find('Image').attrib == {'name': 'image', 'value': '$image', 'zoom': 'true'}
    for tag in ('BrushLabels', 'PolygonLabels'):
        tool = root.find(tag)
        assert tool.attrib['toName'] == 'image'
        assert [label.attrib['value'] for label in tool] == [c['name'] for c in CATEGORIES]
    with pytest.raises(ValueError, match='distinct'):
        labeling_config(['cat', 'cat'])


def test_tasks_carry_image_ids_and_predictions_with_scores(case):
    coco, predictions, _, tasks = case
    assert [t['data'] for t in tasks] == [
        {'image': url(im), 'coco_image_id': im['id'], 'file_name': im['file_name']}
        for im in coco['images']]
    names = {c['id']: c['name'] for c in CATEGORIES}
    for task, image in zip(tasks, coco['images']):
        [prediction] = task['predictions']
        preds = [p for p in predictions if p['image_id'] == image['id']]
        assert prediction['model_version'] == 'rsis-r18'
        assert [r['value']['brushlabels'] for r in prediction['result']] == [
            [names[p['category_id']]] for p in preds]
        assert [r['score'] for r in prediction['result']] == [p['score'] for p in preds]
        if preds:
            assert prediction['score'] == pytest.approx(np.mean([p['score'] for p in preds]))
        else:  # nothing predicted: an empty prediction, no score
            assert prediction['result'] == [] and 'score' not in prediction
        assert all((r['original_height'], r['original_width']) ==
                   (image['height'], image['width']) for r in prediction['result'])
    assert 'predictions' not in coco_to_tasks(coco, url)[0]


def test_accepted_predictions_come_back_pixel_exact(case):
    coco, predictions, masks, tasks = case
    export, before = accepted_export(tasks), copy.deepcopy(coco)
    labels = tasks_to_coco(export, coco, SOURCE)
    assert export == accepted_export(tasks) and coco == before  # inputs left as they were
    assert labels['images'] == coco['images'] and labels['categories'] == coco['categories']
    assert [(a['image_id'], a['category_id']) for a in labels['annotations']] == [
        (p['image_id'], p['category_id']) for p in predictions]
    got = annotation_masks(labels)
    assert len(got) == len(masks)
    for mask, ann in zip(masks, got):
        assert np.array_equal(ann, mask)
    assert [a['area'] for a in labels['annotations']] == [int(m.sum()) for m in masks]
    assert [a['id'] for a in labels['annotations']] == list(range(1, len(masks) + 1))


def polygon_region(points, w, h, label='cat', rid='poly1'):
    return {'id': rid, 'type': 'polygonlabels', 'from_name': 'polygon', 'to_name': 'image',
            'original_width': w, 'original_height': h, 'image_rotation': 0,
            'value': {'points': points, 'closed': True, 'polygonlabels': [label]}}


def test_polygons_are_rasterised_as_pycocotools_does(case):
    coco, _, _, tasks = case
    export = accepted_export(tasks)
    image = coco['images'][0]  # 37 x 53
    h, w = image['height'], image['width']
    # concave, touching the left and bottom borders, a vertex off the pixel grid
    pixels = [[0, 10], [20.3, 2.7], [53, 36.5], [0, 37], [10, 20]]
    points = [[x / w * 100, y / h * 100] for x, y in pixels]
    export[0]['annotations'][0]['result'] = [polygon_region(points, w, h, 'traffic light')]
    labels = tasks_to_coco(export, coco, SOURCE)
    [ann] = [a for a in labels['annotations'] if a['image_id'] == image['id']]
    flat = [c * s / 100 for x, y in points for c, s in ((x, w), (y, h))]
    expected = mask_util.decode(mask_util.merge(mask_util.frPyObjects([flat], h, w)))
    assert ann['category_id'] == 2 and ann['segmentation']['size'] == [h, w]
    assert np.array_equal(annotation_masks(dict(labels, annotations=[ann]))[0], expected)
    assert expected.sum() > 100


def test_cancelled_annotations_are_skipped_and_ground_truth_breaks_ties(case):
    coco, _, masks, tasks = case
    export = accepted_export(tasks)
    first = export[0]['annotations'][0]
    export[0]['annotations'] = [dict(first, id=1, result=[], was_cancelled=True),
                                dict(first, id=2, result=[], ground_truth=False), first]
    with pytest.raises(FormatError, match=r"task 100 \(image 3 \('odd/a.png'\)\): 2 submitted "
                       r'annotations \(ids \[2, 500\]\)'):
        tasks_to_coco(export, coco, SOURCE)
    first['ground_truth'] = True
    labels = tasks_to_coco(export, coco, SOURCE)
    assert all(np.array_equal(a, m) for a, m in zip(annotation_masks(labels), masks))


def brush(export):
    return export[0]['annotations'][0]['result'][0]


def set_key(key, value):
    def edit(export):
        brush(export)[key] = value
    return edit


def set_value(key, value):
    def edit(export):
        brush(export)['value'][key] = value
    return edit


def two_tasks_for_one_image(export):
    export[1]['data'] = dict(export[0]['data'])


TASK = r"task 100 \(image 3 \('odd/a.png'\)\)"
REGION = TASK + ", annotation 500, region 'pred0': "
BAD_EXPORTS = [
    (lambda e: e[0].pop('data'), r'task 100: a task must be an object with a "data" object'),
    (lambda e: e.__setitem__(0, 'task'), r'task #0: a task must be an object'),
    (lambda e: e[0]['data'].update(coco_image_id=999), r'task 100: unknown image id 999'),
    (lambda e: e[0]['data'].update(file_name='x.png'),
     r"task 100: data.file_name 'x.png' is not the file of image 3 \('odd/a.png'\)"),
    (lambda e: [e[0]['data'].pop(k) for k in ('coco_image_id', 'file_name')],
     r'task 100: task data has neither'),
    (lambda e: e[0]['annotations'][0].update(was_cancelled=True),
     r"task 100 \(image 3 \('odd/a.png'\)\): no submitted annotation \(1 cancelled\)"),
    (lambda e: e[0]['annotations'][0].update(result=None),
     TASK + r', annotation 500: "result" must be'),
    (set_value('brushlabels', ['horse']), REGION + r"class 'horse' is not in the dataset"),
    (set_value('brushlabels', []), REGION + r'expected one class in value.brushlabels'),
    (set_value('rle', encode_brush_rle(np.zeros((37, 53), bool))), REGION + 'empty mask'),
    (set_value('rle', [1.5, 2]), REGION + r'brush "rle" must be a list of ints'),
    (set_value('rle', [0, 0, 0, 24]), REGION + r'brush RLE holds 24 values, expected 7844 '
     r'\(RGBA of 53x37\)'),
    (lambda e: brush(e)['value'].update(rle=brush(e)['value']['rle'][:10]),
     REGION + 'brush RLE ends too early'),
    (set_value('format', 'png'), REGION + r"brush format 'png' is not \"rle\""),
    (set_key('original_width', 54), REGION + r'original_width x original_height 54 x 37 is '
     r'not the image size 53 x 37'),
    (set_key('type', 'rectanglelabels'), REGION + r"region type 'rectanglelabels' is not one"),
    (lambda e: e[0]['annotations'][0]['result'].__setitem__(
        0, polygon_region([[0, 0], [50, 50]], 53, 37)),
     TASK + r", annotation 500, region 'poly1': a polygon must be a list of at least 3"),
    (lambda e: e[0]['annotations'][0]['result'].__setitem__(
        0, polygon_region([[0, 0], ['a', 50], [3, 3]], 53, 37)),
     TASK + r", annotation 500, region 'poly1': polygon \"points\" must be a list of \[x, y\]"),
    (two_tasks_for_one_image, r"task 101 \(image 3 \('odd/a.png'\)\): image 3 \('odd/a.png'\) "
     r"is annotated twice \(also by task 100 \(image 3"),
    (lambda e: e.pop(2), r"no submitted annotation for 1 expected image\(s\): image 23 "
     r"\('c.jpg'\)"),
]


@pytest.mark.parametrize('edit, message', BAD_EXPORTS)
def test_bad_exports_name_the_task_image_and_region(case, edit, message):
    coco, _, _, tasks = case
    export = accepted_export(tasks)
    edit(export)
    with pytest.raises(FormatError, match=f'^{SOURCE}: {message}') as err:
        tasks_to_coco(export, coco, SOURCE)
    assert err.value.path == SOURCE


@pytest.mark.parametrize('export', [{'tasks': []}, None, 'tasks'])
def test_an_export_that_is_not_a_list_of_tasks_is_a_format_error(case, export):
    with pytest.raises(FormatError, match=f'^{SOURCE}: expected a list of tasks'):
        tasks_to_coco(export, case[0], SOURCE)


@pytest.mark.parametrize('edit, message', [
    (lambda p: p.update(image_id=5), r'prediction #0: unknown image id 5'),
    (lambda p: p.update(category_id=3),
     r"prediction #0 of image 3 \('odd/a.png'\): unknown category_id 3"),
    (lambda p: p.pop('score'), r'score must be a finite number, got None'),
    (lambda p: p['segmentation'].update(size=[53, 37]), r'RLE size \[53, 37\] is not the '
     r'image size \[37, 53\]'),
    (lambda p: p['segmentation'].update(counts='#garbage'), 'malformed compressed RLE')])
def test_bad_predictions_name_the_prediction(case, edit, message):
    coco, predictions, _, _ = case
    predictions = copy.deepcopy(predictions)
    edit(predictions[0])
    with pytest.raises(FormatError, match=message):
        coco_to_tasks(coco, url, predictions)
