"""YouTube-VOS evaluation on a tiny official-layout folder: hand-computed J/F per object and per
seen / unseen group, the protocol's frame selection (first appearance not scored, earlier
frames not required, last frame scored), every bad-input error naming its file, and the CLI.

Frames are 24x32, so the boundary tolerance is ceil(0.008 * 40) = 1 pixel: a mask shifted by
one pixel keeps every boundary pixel within tolerance (F = 1) while its IoU drops to a known
fraction. Golden values are derived next to the fixture.
"""
import csv
import json
import math
import os
import os.path as osp
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from mmsegsup.evaluation.functional.davis_metrics import boundary_measure, region_similarity
from mmsegsup.evaluation.youtube_vos_eval import (GLOBAL_COLUMNS, evaluate_youtube_vos,
                                                  format_youtube_vos_table, scored_frames,
                                                  seen_categories_from_meta,
                                                  write_youtube_vos_csvs)
from mmsegsup.formats.errors import DavisFileNotFoundError, DavisFormatError
from mmsegsup.formats.youtube_vos_meta import load_youtube_vos_meta
from tools_utils import run

H, W = 24, 32
PALETTE = (np.arange(768) * 53 % 256).astype(np.uint8).tolist()
SEEN = ['person', 'cat']


def _rect(boxes):
    """Id map with ``{id: (y0, y1, x0, x1)}`` rectangles (inclusive-exclusive)."""
    arr = np.zeros((H, W), np.uint8)
    for obj_id, (y0, y1, x0, x1) in boxes.items():
        arr[y0:y1, x0:x1] = obj_id
    return arr


def _png(path, arr, mode='P'):
    os.makedirs(osp.dirname(path), exist_ok=True)
    if mode == 'P':
        img = Image.fromarray(arr, mode='P')
        img.putpalette(PALETTE)
    else:
        img = Image.fromarray(np.stack([arr] * 3, axis=-1), mode='RGB')
    img.save(path)


# Object 1 (person) of vid_a: 4x8 box; shifted right by one column -> IoU 28/36 = 7/9, F = 1.
BOX1 = (2, 6, 2, 10)
BOX1_RIGHT = (2, 6, 3, 11)
# Object 2 (zebra) of vid_a: 8x8 box; shifted down one row -> IoU 56/72 = 7/9, F = 1.
BOX2 = (12, 20, 12, 20)
BOX2_DOWN = (13, 21, 12, 20)

# (video, frame) -> (ground truth, result or None = no result file)
FRAMES = {
    # vid_a: person 00000..00010 then leaves; zebra appears at 00010.
    ('vid_a', '00000'): (_rect({1: BOX1}), None),  # given mask: no result needed
    ('vid_a', '00005'): (_rect({1: BOX1}), _rect({1: BOX1})),  # person J = F = 1
    # person J = 7/9, F = 1; zebra missing from the result at its (unscored) first frame
    ('vid_a', '00010'): (_rect({1: BOX1, 2: BOX2}), _rect({1: BOX1_RIGHT})),
    # last frame: person absent in both (J = F = 1); zebra J = 7/9, F = 1
    ('vid_a', '00015'): (_rect({2: BOX2}), _rect({2: BOX2_DOWN})),
    # vid_b: the cat first appears at 00005; frames up to there need no result.
    ('vid_b', '00000'): (_rect({}), None),
    ('vid_b', '00005'): (_rect({1: BOX2}), None),
    ('vid_b', '00010'): (_rect({1: BOX2}), _rect({})),  # empty result: J = F = 0
    # vid_c: meta lists the person at 00005 but its mask there is empty (fine); the dog
    # first appears on the last frame, so it has nothing to score and is skipped. Its
    # pixels in the result are a known id, hence allowed.
    ('vid_c', '00000'): (_rect({1: BOX1}), None),
    ('vid_c', '00005'): (_rect({2: BOX2}), _rect({2: BOX2})),  # person J = F = 1
}
META = {'videos': {
    'vid_a': {'objects': {'1': {'category': 'person', 'frames': ['00000', '00005', '00010']},
                          '2': {'category': 'zebra', 'frames': ['00010', '00015']}}},
    'vid_b': {'objects': {'1': {'category': 'cat', 'frames': ['00005', '00010']}}},
    'vid_c': {'objects': {'1': {'category': 'person', 'frames': ['00000', '00005']},
                          '2': {'category': 'dog', 'frames': ['00005']}}},
}}
# A training meta: person and cat in a training video; vid_a (evaluated) would make the zebra
# seen if the evaluated videos were not excluded.
TRAIN_META = {'videos': {
    'vid_train': {'objects': {'1': {'category': 'person', 'frames': ['00000']},
                              '2': {'category': 'cat', 'frames': ['00000']}}},
    'vid_a': META['videos']['vid_a'],
}}

# Per object (J, F, frames): vid_a/1 (1 + 7/9 + 1) / 3 = 25/27, F 1, 3 frames;
# vid_a/2 7/9, 1, 1 frame; vid_b/1 0, 0, 1 frame; vid_c/1 1, 1, 1 frame.
OBJECTS = {('vid_a', 1): (25 / 27, 1.0, 3), ('vid_a', 2): (7 / 9, 1.0, 1),
           ('vid_b', 1): (0.0, 0.0, 1), ('vid_c', 1): (1.0, 1.0, 1)}
# seen = person, cat: J (25/27 + 0 + 1) / 3 = 52/81, F 2/3; unseen = zebra: J 7/9, F 1;
# Overall (52/81 + 63/81 + 54/81 + 81/81) / 4 = 125/162.
GOLDEN = {'J_seen': 52 / 81, 'F_seen': 2 / 3, 'J_unseen': 7 / 9, 'F_unseen': 1.0,
          'Overall': 125 / 162}


@pytest.fixture
def ytvos(tmp_path):
    """``(gt_root, results_dir, train_meta_path)`` in the official YouTube-VOS layout."""
    root = tmp_path / 'ytvos'
    results = tmp_path / 'results'
    for (video, frame), (gt, res) in FRAMES.items():
        _png(str(root / 'train' / 'Annotations' / video / f'{frame}.png'), gt)
        jpg = root / 'train' / 'JPEGImages' / video / f'{frame}.jpg'
        jpg.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(str(jpg))
        if res is not None:
            _png(str(results / video / f'{frame}.png'), res)
    (root / 'train' / 'meta.json').write_text(json.dumps(META))
    train_meta = tmp_path / 'train_meta.json'
    train_meta.write_text(json.dumps(TRAIN_META))
    return str(root), str(results), str(train_meta)


def _check_golden(result):
    for key, value in GOLDEN.items():
        assert result[key] == pytest.approx(value, abs=1e-12), key
    got = {(r['video'], r['object']): (r['J'], r['F'], r['num_frames'])
           for r in result['per_object']}
    assert set(got) == set(OBJECTS)
    for key, (j, f, n) in OBJECTS.items():
        assert got[key][0] == pytest.approx(j, abs=1e-12), key
        assert got[key][1] == pytest.approx(f, abs=1e-12), key
        assert got[key][2] == n, key


# ------------------------------------------------------------------------------ protocol

def test_scored_frames_skip_first_appearance_and_keep_last():
    annotated = ['00000', '00005', '00010', '00015']
    assert scored_frames(annotated, ['00000', '00005']) == ['00005', '00010', '00015']
    assert scored_frames(annotated, ['00010']) == ['00015']
    assert scored_frames(annotated, ['00015']) == []
    assert scored_frames(annotated, ['00010', '00005']) == ['00010', '00015']  # earliest


def test_golden_values_with_explicit_seen_categories(ytvos):
    root, results, _ = ytvos
    result = evaluate_youtube_vos(root, results, seen_categories=SEEN)
    _check_golden(result)
    seen = {(r['video'], r['object']): (r['category'], r['seen']) for r in result['per_object']}
    assert seen[('vid_a', 1)] == ('person', True)
    assert seen[('vid_a', 2)] == ('zebra', False)
    assert result['skipped'] == [{'video': 'vid_c', 'object': 2, 'category': 'dog',
                                  'first_frame': '00005'}]
    assert result['num_videos'] == 3 and result['num_objects'] == 4
    assert result['num_frames'] == 5  # result frames read: a 3, b 1, c 1
    assert list(result['per_frame']['vid_a'][2]['frames']) == ['00015']
    np.testing.assert_allclose(result['per_frame']['vid_a'][1]['J'], [1, 7 / 9, 1])


def test_train_meta_seen_set_excludes_evaluated_videos(ytvos):
    root, results, train_meta = ytvos
    # vid_a of the training meta has a zebra; it is evaluated, so the zebra stays unseen.
    assert seen_categories_from_meta(train_meta) == {'person', 'cat', 'zebra'}
    assert seen_categories_from_meta(train_meta, exclude_videos=['vid_a']) == {'person', 'cat'}
    _check_golden(evaluate_youtube_vos(root, results, train_meta=train_meta))


def test_empty_group_is_nan_and_overall_uses_the_others(ytvos):
    root, results, _ = ytvos
    result = evaluate_youtube_vos(root, results, seen_categories=[])
    assert math.isnan(result['J_seen']) and math.isnan(result['F_seen'])
    # all four objects unseen: J (25/27 + 7/9 + 0 + 1) / 4 = 73/108, F 3/4
    assert result['J_unseen'] == pytest.approx(73 / 108, abs=1e-12)
    assert result['F_unseen'] == pytest.approx(0.75, abs=1e-12)
    assert result['Overall'] == pytest.approx((73 / 108 + 0.75) / 2, abs=1e-12)
    assert 'nan' in format_youtube_vos_table(result)


def test_video_subset(ytvos):
    root, results, _ = ytvos
    result = evaluate_youtube_vos(root, results, seen_categories=SEEN, videos=['vid_b'])
    assert [(r['video'], r['J'], r['F']) for r in result['per_object']] == [('vid_b', 0, 0)]
    assert result['J_seen'] == 0 and math.isnan(result['J_unseen'])
    assert result['Overall'] == 0


def test_csvs_and_table(ytvos, tmp_path):
    root, results, _ = ytvos
    result = evaluate_youtube_vos(root, results, seen_categories=SEEN)
    global_csv, object_csv = write_youtube_vos_csvs(result, str(tmp_path / 'out'))
    assert osp.basename(global_csv) == 'global_results-train.csv'
    assert osp.basename(object_csv) == 'per-object_results-train.csv'
    with open(global_csv) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(GLOBAL_COLUMNS)
    assert rows[0] == {k: '%.3f' % v for k, v in GOLDEN.items()}
    with open(object_csv) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['Video', 'Object', 'Category', 'Seen', 'J', 'F', 'Frames']
    assert rows[1] == ['vid_a', '1', 'person', '1', '0.926', '1.000', '3']
    assert rows[2] == ['vid_a', '2', 'zebra', '0', '0.778', '1.000', '1']
    table = format_youtube_vos_table(result, per_object=True)
    assert '0.772' in table and 'vid_c/2' in table and 'zebra' in table


def test_per_frame_values_equal_functional_metrics(ytvos):
    # Random blobs: the evaluation's per-frame J / F equal region_similarity / boundary_measure.
    root, results, _ = ytvos
    rng = np.random.default_rng(0)
    res = (rng.random((H, W)) < 0.3).astype(np.uint8)
    _png(osp.join(results, 'vid_b', '00010.png'), res)
    result = evaluate_youtube_vos(root, results, seen_categories=SEEN, videos=['vid_b'])
    gt = FRAMES[('vid_b', '00010')][0] == 1
    scores = result['per_frame']['vid_b'][1]
    assert scores['J'][0] == region_similarity(res == 1, gt)
    assert scores['F'][0] == boundary_measure(res == 1, gt)
    assert 0 < scores['J'][0] < 1 and 0 < scores['F'][0] < 1


# ------------------------------------------------------------------------------ bad input

def test_missing_result_frame_names_path(ytvos):
    root, results, _ = ytvos
    missing = osp.join(results, 'vid_a', '00015.png')  # the last frame is required
    os.remove(missing)
    with pytest.raises(DavisFileNotFoundError, match=re.escape(missing)):
        evaluate_youtube_vos(root, results, seen_categories=SEEN)


def test_missing_results_folder_of_a_video(ytvos):
    root, results, _ = ytvos
    shutil.rmtree(osp.join(results, 'vid_b'))
    expected = osp.join(results, 'vid_b', '00010.png')
    with pytest.raises(DavisFileNotFoundError, match=re.escape(expected)):
        evaluate_youtube_vos(root, results, seen_categories=SEEN)


def test_rgb_result_names_file(ytvos):
    root, results, _ = ytvos
    path = osp.join(results, 'vid_b', '00010.png')
    _png(path, _rect({}), mode='RGB')
    with pytest.raises(DavisFormatError, match=re.escape(path) + '.*mode-RGB'):
        evaluate_youtube_vos(root, results, seen_categories=SEEN)


def test_result_size_mismatch_names_both_files(ytvos):
    root, results, _ = ytvos
    path = osp.join(results, 'vid_b', '00010.png')
    _png(path, np.zeros((H // 2, W), np.uint8))
    with pytest.raises(DavisFormatError) as err:
        evaluate_youtube_vos(root, results, seen_categories=SEEN)
    assert path in str(err.value)
    assert osp.join(root, 'train', 'Annotations', 'vid_b', '00010.png') in str(err.value)


def test_unknown_result_id_names_file_and_id(ytvos):
    root, results, _ = ytvos
    path = osp.join(results, 'vid_b', '00010.png')
    _png(path, _rect({7: BOX1}))
    with pytest.raises(DavisFormatError, match=re.escape(f'{path} has object id(s) [7]')):
        evaluate_youtube_vos(root, results, seen_categories=SEEN)


def test_missing_annotations_folder(ytvos):
    root, results, _ = ytvos
    folder = osp.join(root, 'train', 'Annotations', 'vid_c')
    shutil.rmtree(folder)
    with pytest.raises(DavisFileNotFoundError, match=re.escape(folder)):
        evaluate_youtube_vos(root, results, seen_categories=SEEN)


@pytest.mark.parametrize('meta, field', [
    ({'video': {}}, '"videos"'),
    ({'videos': {'v': {}}}, '"objects"'),
    ({'videos': {'v': {'objects': {'1': {'category': 'cat'}}}}}, '"frames"'),
    ({'videos': {'v': {'objects': {'1': {'frames': ['00000']}}}}}, '"category"'),
    ({'videos': {'v': {'objects': {'1': {'category': 'cat', 'frames': '00000'}}}}},
     '"frames" that is not a list'),
    ({'videos': {'v': {'objects': {'1': {'category': 'cat', 'frames': []}}}}}, 'empty'),
    ({'videos': {'v': {'objects': {'x': {'category': 'cat', 'frames': ['0']}}}}}, '1..255'),
])
def test_malformed_meta_names_file_and_field(tmp_path, meta, field):
    path = tmp_path / 'meta.json'
    path.write_text(json.dumps(meta))
    with pytest.raises(DavisFormatError) as err:
        load_youtube_vos_meta(str(path))
    assert str(path) in str(err.value) and field in str(err.value)


def test_meta_not_json_or_missing(tmp_path):
    path = tmp_path / 'meta.json'
    path.write_text('{"videos": ')
    with pytest.raises(DavisFormatError, match=re.escape(f'{path} is not valid JSON')):
        load_youtube_vos_meta(str(path))
    with pytest.raises(DavisFileNotFoundError, match=re.escape(str(tmp_path / 'nope.json'))):
        load_youtube_vos_meta(str(tmp_path / 'nope.json'))


def test_seen_set_and_video_arguments(ytvos):
    root, results, train_meta = ytvos
    with pytest.raises(ValueError, match='exactly one'):
        evaluate_youtube_vos(root, results)
    with pytest.raises(ValueError, match='exactly one'):
        evaluate_youtube_vos(root, results, seen_categories=SEEN, train_meta=train_meta)
    with pytest.raises(ValueError, match="'vid_x'.*meta.json"):
        evaluate_youtube_vos(root, results, seen_categories=SEEN, videos=['vid_x'])
    with pytest.raises(DavisFileNotFoundError, match='split folder'):
        evaluate_youtube_vos(root, results, split='valid', seen_categories=SEEN)


# ------------------------------------------------------------------------------------ CLI

def _cli(*args, subprocess: bool = False):
    return run(['tools/eval_youtube_vos.py', *args], subprocess=subprocess, check=False)


def test_cli_writes_csvs(ytvos, tmp_path):
    root, results, train_meta = ytvos
    proc = _cli('--gt-root', root, '--results', results, '--seen-categories', 'person,cat',
                subprocess=True)
    assert proc.returncode == 0, proc.stderr
    with open(osp.join(results, 'global_results-train.csv')) as f:
        row = next(csv.DictReader(f))
    assert row == {k: '%.3f' % v for k, v in GOLDEN.items()}
    assert '0.772' in proc.stdout  # Overall 125/162 in the printed table
    out = tmp_path / 'csv'
    videos = tmp_path / 'heldout.txt'
    videos.write_text('vid_a\n\nvid_b\n')
    proc = _cli('--gt-root', root, '--results', results, '--train-meta', train_meta,
                '--video-list', str(videos), '--out-dir', str(out), '--workers', '2')
    assert proc.returncode == 0, proc.stderr
    with open(out / 'per-object_results-train.csv') as f:
        rows = list(csv.DictReader(f))
    assert [(r['Video'], r['Object'], r['Seen'], r['J']) for r in rows] == [
        ('vid_a', '1', '1', '0.926'), ('vid_a', '2', '0', '0.778'), ('vid_b', '1', '1', '0.000')]


def test_cli_error_names_file(ytvos):
    root, results, _ = ytvos
    missing = osp.join(results, 'vid_a', '00015.png')
    os.remove(missing)
    proc = _cli('--gt-root', root, '--results', results, '--seen-categories', 'person')
    assert proc.returncode == 2
    assert missing in proc.stderr
