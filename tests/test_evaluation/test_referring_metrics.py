"""Referring metrics against hand computations: overall / mean IoU, precision@K (>=), the
empty-union rule, per-expression CSV, trivial split, and DAVIS J&F of merged referents."""
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from mmsegsup.evaluation.davis_eval import GLOBAL_COLUMNS, evaluate_davis
from mmsegsup.evaluation.functional.referring_metrics import (
    REFERRING_CSV_COLUMNS, intersection_and_union, load_referring_results_csv, mean_iou,
    merge_object_probabilities, overall_iou, per_expression_rows, precision_at,
    quantize_foreground, referring_scores, sample_ious, write_referring_results_csv)
from mmsegsup.evaluation.metrics.referring_davis_metric import ReferringDAVISMetric
from mmsegsup.evaluation.metrics.referring_metric import ReferringMetric
from mmsegsup.formats.errors import FormatError


def _box(shape, y0, y1, x0, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


# Five samples of different sizes (pred, gt) with hand-counted I and U:
#  A 4x4:   pred 2x2 top-left (4 px), gt rows 0-1 cols 0-2 (6 px)   -> I 4,  U 6,  IoU 2/3
#  B 10x10: pred rows 0-4 (50 px), gt cols 0-4 (50 px)              -> I 25, U 75, IoU 1/3
#  C 3x3:   same single pixel                                       -> I 1,  U 1,  IoU 1
#  D 5x5:   both empty                                              -> I 0,  U 0,  IoU 1 (rule)
#  E 2x2:   pred empty, gt 2 px                                     -> I 0,  U 2,  IoU 0
SAMPLES = [
    (_box((4, 4), 0, 2, 0, 2), _box((4, 4), 0, 2, 0, 3)),
    (_box((10, 10), 0, 5, 0, 10), _box((10, 10), 0, 10, 0, 5)),
    (_box((3, 3), 1, 2, 1, 2), _box((3, 3), 1, 2, 1, 2)),
    (np.zeros((5, 5), bool), np.zeros((5, 5), bool)),
    (np.zeros((2, 2), bool), _box((2, 2), 0, 1, 0, 2)),
]
COUNTS = [(4, 6), (25, 75), (1, 1), (0, 0), (0, 2)]


# --------------------------------------------------------------------------- functional

def test_intersection_and_union_hand_counts():
    assert [intersection_and_union(p, g) for p, g in SAMPLES] == COUNTS
    # Ignored pixels count in neither: ignore column 2 of A removes 2 gt-only pixels.
    p, g = SAMPLES[0]
    assert intersection_and_union(p, g, ignore=_box((4, 4), 0, 4, 2, 3)) == (4, 4)
    with pytest.raises(ValueError, match='differ in shape'):
        intersection_and_union(np.zeros((2, 2)), np.zeros((2, 3)))


def test_overall_mean_and_precision_hand_values():
    inter, union = zip(*COUNTS)
    # the default: the original RefVOS test.py's empty union = IoU 0, still a sample
    np.testing.assert_allclose(sample_ious(inter, union), [2 / 3, 1 / 3, 1, 0, 0])
    assert mean_iou(inter, union) == pytest.approx(0.4)
    np.testing.assert_allclose(sample_ious(inter, union, empty_union_iou=1.0),
                               [2 / 3, 1 / 3, 1, 1, 0])
    # overall = (4+25+1+0+0) / (6+75+1+0+2) = 30/84; the empty sample adds nothing.
    assert overall_iou(inter, union) == pytest.approx(30 / 84)
    # with empty = 1: mean = (2/3 + 1/3 + 1 + 1 + 0) / 5 = 3/5: differs from overall (B is big
    # and poor).
    assert mean_iou(inter, union, empty_union_iou=1.0) == pytest.approx(0.6)
    assert referring_scores(inter, union)['prec@0.9'] == pytest.approx(0.2)
    scores = referring_scores(inter, union, empty_union_iou=1.0)
    assert scores == pytest.approx({'overall_iou': 30 / 84, 'mean_iou': 0.6, 'prec@0.5': 0.6,
                                    'prec@0.6': 0.6, 'prec@0.7': 0.4, 'prec@0.8': 0.4,
                                    'prec@0.9': 0.4})
    assert list(scores) == ['overall_iou', 'mean_iou', 'prec@0.5', 'prec@0.6', 'prec@0.7',
                            'prec@0.8', 'prec@0.9']


def test_precision_counts_iou_equal_to_threshold():
    # IoU exactly K counts (>= as RefVOS / LAVT code): 1/2, 3/5, 7/10, 4/5, 9/10.
    ious = sample_ious([1, 3, 7, 4, 9], [2, 5, 10, 5, 10])
    assert precision_at(ious) == {0.5: 1.0, 0.6: 0.8, 0.7: 0.6, 0.8: 0.4, 0.9: 0.2}
    assert precision_at([0.49999])[0.5] == 0.0


def test_empty_cases():
    assert overall_iou([0, 0], [0, 0]) == 1.0  # every union empty
    assert math.isnan(overall_iou([], [])) and math.isnan(mean_iou([], []))
    assert all(math.isnan(v) for v in referring_scores([], []).values())
    with pytest.raises(ValueError, match='intersection <= union'):
        overall_iou([3], [2])
    with pytest.raises(ValueError, match='2 intersections but 1 unions'):
        overall_iou([1, 1], [2])
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        precision_at([0.5], thresholds=(1.5,))


def test_per_expression_rows_and_csv_round_trip(tmp_path):
    samples = [
        # video expression over 3 frames: (2, 4), (0, 0), (3, 3)
        {'expr_id': 'v/1/0', 'video': 'v', 'trivial': False, 'intersection': 2, 'union': 4},
        {'expr_id': 'img7', 'video': None, 'trivial': None, 'intersection': 1, 'union': 3},
        {'expr_id': 'v/1/0', 'video': 'v', 'trivial': False, 'intersection': 0, 'union': 0},
        {'expr_id': 'v/1/0', 'video': 'v', 'trivial': False, 'intersection': 3, 'union': 3},
    ]
    # the original's empty frame = 0: mean of frames (1/2 + 0 + 1) / 3
    assert per_expression_rows(samples)[0]['mean_frame_iou'] == pytest.approx(0.5)
    assert per_expression_rows(samples[2:3])[0]['iou'] == 0.0
    rows = per_expression_rows(samples, empty_union_iou=1.0)
    assert per_expression_rows(samples[2:3], empty_union_iou=1.0)[0]['iou'] == 1.0
    assert [r['expr_id'] for r in rows] == ['v/1/0', 'img7']
    video, image = rows
    # cumulative 5/7; mean of frames (1/2 + 1 + 1) / 3 = 5/6
    assert video['num_frames'] == 3 and video['iou'] == pytest.approx(5 / 7)
    assert video['mean_frame_iou'] == pytest.approx(5 / 6)
    assert (video['intersection'], video['union']) == (5, 7)
    assert image['num_frames'] == 1 and image['iou'] == image['mean_frame_iou'] == 1 / 3

    path = write_referring_results_csv(rows, str(tmp_path / 'out' / 'per_expr.csv'))
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0] == ','.join(REFERRING_CSV_COLUMNS)
    assert lines[2] == 'img7,,1,0.3333333333333333,0.3333333333333333,,1,3'
    assert load_referring_results_csv(path) == rows  # exact floats, None, bools

    with pytest.raises(ValueError, match="video 'v' in one sample and 'w'"):
        per_expression_rows(samples[:1] + [dict(samples[0], video='w')])


def test_load_csv_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.csv'):
        load_referring_results_csv(str(tmp_path / 'nope.csv'))
    bad = tmp_path / 'bad.csv'
    bad.write_text('expr_id,video,iou\n1,,0.5\n')
    with pytest.raises(FormatError, match=r"bad.csv lacks column\(s\) \['num_frames'"):
        load_referring_results_csv(str(bad))
    bad.write_text('expr_id,video,num_frames,iou,mean_frame_iou,trivial\n1,,1,0.5,0.5,yes\n')
    with pytest.raises(FormatError, match="line 2: column 'trivial' is 'yes'"):
        load_referring_results_csv(str(bad))
    bad.write_text('expr_id,video,num_frames,iou,mean_frame_iou,trivial\n1,,x,0.5,0.5,\n')
    with pytest.raises(FormatError, match="column 'num_frames' is 'x'; expected an int"):
        load_referring_results_csv(str(bad))
    # Without intersection/union columns it still reads; extra columns stay text.
    bad.write_text('expr_id,video,num_frames,iou,mean_frame_iou,trivial,note\n'
                   '1,v,2,0.5,0.25,True,hi\n')
    assert load_referring_results_csv(str(bad)) == [
        {'expr_id': '1', 'video': 'v', 'num_frames': 2, 'iou': 0.5, 'mean_frame_iou': 0.25,
         'trivial': True, 'note': 'hi'}]


def test_quantize_and_merge():
    q = quantize_foreground(np.array([0.0, 0.5, 0.5001, 0.8, 1.0]))
    assert q.dtype == np.uint8 and q.tolist() == [0, 0, 128, 204, 255]
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        quantize_foreground(np.array([1.2]))
    probs = np.array([[[0, 200, 150, 130]],   # object 3
                      [[0, 180, 150, 140]]],  # object 1
                     np.uint8)
    # px0 none above 0.5; px1 object 3 higher; px2 tie -> first listed; px3 object 1 higher
    assert merge_object_probabilities(probs, [3, 1]).tolist() == [[0, 3, 3, 1]]
    with pytest.raises(ValueError, match='distinct'):
        merge_object_probabilities(probs, [1, 1])
    with pytest.raises(ValueError, match='uint8'):
        merge_object_probabilities(probs.astype(float), [3, 1])


# --------------------------------------------------------------------------- ReferringMetric

def _seg_sample(pred, gt, **meta):
    s = SegDataSample(metainfo=dict(ori_shape=gt.shape, **meta))
    s.pred_sem_seg = PixelData(data=torch.as_tensor(np.asarray(pred, np.int64))[None])
    s.gt_sem_seg = PixelData(data=torch.as_tensor(np.asarray(gt, np.int64))[None])
    return s


def _referring_samples():
    # A, B trivial (one video 'v', two frames); C, D, E non-trivial images.
    metas = [dict(expr_id='v/1', video='v', frame_id=0, trivial=True),
             dict(expr_id='v/1', video='v', frame_id=1, trivial=True),
             dict(expr_id='10', video=None, frame_id=None, trivial=False),
             dict(expr_id='11', video=None, frame_id=None, trivial=False),
             dict(expr_id='12', video=None, frame_id=None, trivial=False)]
    return [_seg_sample(p, g, **m) for (p, g), m in zip(SAMPLES, metas)]


def test_referring_metric_values_subsets_and_csv(tmp_path):
    csv_file = str(tmp_path / 'per_expression.csv')
    metric = ReferringMetric(csv_file=csv_file, empty_union_iou=1.0)  # the DAVIS-J rule
    samples = _referring_samples()
    metric.process({}, [s.to_dict() for s in samples[:2]])
    metric.process({}, samples[2:])  # data elements are accepted too
    out = metric.evaluate(5)
    assert out['overall_iou'] == pytest.approx(100 * 30 / 84)
    assert out['mean_iou'] == pytest.approx(60.0)
    assert out['prec@0.5'] == pytest.approx(60.0) and out['prec@0.9'] == pytest.approx(40.0)
    # trivial: A, B -> overall 29/81, mean (2/3 + 1/3)/2, prec@0.5 1/2, prec@0.7 0
    assert out['trivial/overall_iou'] == pytest.approx(100 * 29 / 81)
    assert out['trivial/mean_iou'] == pytest.approx(50.0)
    assert out['trivial/prec@0.5'] == pytest.approx(50.0)
    assert out['trivial/prec@0.7'] == pytest.approx(0.0)
    # non-trivial: C, D, E -> overall 1/3, mean 2/3, prec@0.9 2/3
    assert out['non-trivial/overall_iou'] == pytest.approx(100 / 3)
    assert out['non-trivial/mean_iou'] == pytest.approx(200 / 3)
    assert out['non-trivial/prec@0.9'] == pytest.approx(200 / 3)
    assert len(out) == 3 * 7

    rows = load_referring_results_csv(csv_file)
    assert [r['expr_id'] for r in rows] == ['v/1', '10', '11', '12']
    assert rows[0] == {'expr_id': 'v/1', 'video': 'v', 'num_frames': 2, 'iou': 29 / 81,
                       'mean_frame_iou': 0.5, 'trivial': True, 'intersection': 29,
                       'union': 81}
    assert rows[2]['iou'] == 1.0 and rows[2]['union'] == 0  # empty/empty
    assert rows[3]['trivial'] is False and rows[3]['video'] is None


def test_referring_metric_distributed_parts_and_unknown_trivial():
    samples = _referring_samples()
    for s in samples:
        s.set_metainfo({'trivial': None})
    whole, part_a, part_b = ReferringMetric(), ReferringMetric(), ReferringMetric()
    whole.process({}, samples)
    part_a.process({}, samples[::2])  # what two ranks hold; collect_results gathers them
    part_b.process({}, samples[1::2])
    merged = whole.compute_metrics(part_a.results + part_b.results)
    assert merged == whole.compute_metrics(whole.results)
    assert set(merged) == {'overall_iou', 'mean_iou', 'prec@0.5', 'prec@0.6', 'prec@0.7',
                           'prec@0.8', 'prec@0.9'}  # no subsets when trivial is unknown
    assert all(isinstance(r['union'], int) for r in whole.results)  # small numbers only


def test_referring_metric_ignore_index_and_errors():
    gt = np.array([[1, 1, 255, 0]])
    metric = ReferringMetric()
    metric.process({}, [_seg_sample([[1, 0, 1, 0]], gt, expr_id='a')])
    assert metric.results[0]['intersection'] == 1 and metric.results[0]['union'] == 2
    with pytest.raises(ValueError, match='evaluated twice'):
        metric.compute_metrics(metric.results * 2)
    with pytest.raises(ValueError, match="no metainfo 'expr_id'"):
        metric.process({}, [_seg_sample([[1]], np.array([[1]]))])
    with pytest.raises(ValueError, match='load it after Resize'):
        metric.process({}, [_seg_sample([[1, 1]], np.array([[1]]), expr_id='b')])
    s = _seg_sample([[1]], np.array([[1]]), expr_id='c').to_dict()
    del s['gt_sem_seg']
    with pytest.raises(ValueError, match="'c' has no gt_sem_seg"):
        metric.process({}, [s])
    with pytest.raises(ValueError, match='trivial must be True, False or None'):
        metric.process({}, [_seg_sample([[1]], np.array([[1]]), expr_id='d', trivial='yes')])


# --------------------------------------------------------------------------- ReferringDAVISMetric

H, W, T = 24, 32, 4
PALETTE = [c for i in range(256) for c in (i * 37 % 256, i * 91 % 256, i * 13 % 256)]


def _gt_frame(video, t):
    """Two non-overlapping moving boxes (ids 1 and 2) per frame."""
    ann = np.zeros((H, W), np.uint8)
    if video == 'bear':
        ann[2 + t:10 + t, 2:10] = 1
        ann[14:20, 12 + 2 * t:20 + 2 * t] = 2
    else:
        ann[4:12, 20 - t:28 - t] = 1
        ann[12:22, 2:8 + t] = 2
    return ann


@pytest.fixture
def davis_root(tmp_path):
    root = tmp_path / 'DAVIS'
    for video in ('bear', 'dogs'):
        img_dir = root / 'JPEGImages' / '480p' / video
        ann_dir = root / 'Annotations' / '480p' / video
        img_dir.mkdir(parents=True)
        ann_dir.mkdir(parents=True)
        for t in range(T):
            cv2.imwrite(str(img_dir / f'{t:05d}.jpg'), np.full((H, W, 3), 90, np.uint8))
            img = Image.fromarray(_gt_frame(video, t), mode='P')
            img.putpalette(PALETTE)
            img.save(str(ann_dir / f'{t:05d}.png'))
    (root / 'ImageSets' / '2017').mkdir(parents=True)
    (root / 'ImageSets' / '2017' / 'val.txt').write_text('bear\ndogs\n')
    return str(root)


def _logit_sample(fg_logit, video, obj, t):
    logits = torch.stack([torch.zeros(H, W), torch.as_tensor(fg_logit, dtype=torch.float32)])
    s = SegDataSample(metainfo=dict(video=video, object_id=obj, frame_id=t,
                                    expr_id=f'{video}/{obj}/0', ori_shape=(H, W)))
    s.seg_logits = PixelData(data=logits)
    s.pred_sem_seg = PixelData(data=(logits[1:] > 0).long())
    return s


def _perfect_samples():
    return [_logit_sample(np.where(_gt_frame(v, t) == k, 4.0, -4.0), v, k, t)
            for v in ('bear', 'dogs') for t in range(T) for k in (1, 2)]


def test_referring_davis_perfect_predictions_score_one(davis_root, tmp_path):
    out_dir = str(tmp_path / 'results')
    metric = ReferringDAVISMetric(data_root=davis_root, outfile_dir=out_dir)
    samples = _perfect_samples()
    metric.process({}, samples[:7])
    metric.process({}, samples[7:])
    scores = metric.evaluate(len(samples))
    assert set(scores) == {f'davis/{k}' for k in GLOBAL_COLUMNS}
    assert scores['davis/J&F-Mean'] == 1.0
    assert scores['davis/J-Mean'] == 1.0 and scores['davis/F-Mean'] == 1.0
    for v in ('bear', 'dogs'):
        for t in range(T):  # every frame written, palette PNG equal to the ground truth
            img = Image.open(osp.join(out_dir, v, f'{t:05d}.png'))
            assert img.mode == 'P'
            assert np.array_equal(np.array(img), _gt_frame(v, t))


def test_referring_davis_merge_equals_evaluate_davis(davis_root, tmp_path):
    out_dir = str(tmp_path / 'results')
    metric = ReferringDAVISMetric(data_root=davis_root, outfile_dir=out_dir)
    samples = []
    for v in ('bear', 'dogs'):
        for t in range(T):
            gt = _gt_frame(v, t)
            # object 1: its box shifted one pixel right, probability 0.73 (logit 1)
            obj1 = np.roll(gt == 1, 1, axis=1)
            # object 2: its box plus a band over object 1's rows 0-5, at logit 2 (0.88)
            obj2 = (gt == 2) | _box((H, W), 0, 6, 0, W)
            samples += [_logit_sample(np.where(obj1, 1.0, -3.0), v, 1, t),
                        _logit_sample(np.where(obj2, 2.0, -3.0), v, 2, t)]
    metric.process({}, samples)
    scores = metric.evaluate(len(samples))
    # Where both are above 0.5 the more probable object 2 wins.
    written = np.array(Image.open(osp.join(out_dir, 'bear', '00001.png')))
    gt = _gt_frame('bear', 1)
    assert written[3, 5] == 2 and gt[3, 5] == 1
    assert written[8, 5] == 1 and written[16, 14] == 2 and written[23, 0] == 0
    ref = evaluate_davis(davis_root, out_dir, sequences=['bear', 'dogs'], progress=False)
    for k in GLOBAL_COLUMNS:
        assert scores[f'davis/{k}'] == ref[k]
    assert 0 < scores['davis/J&F-Mean'] < 1


def test_referring_davis_format_only_and_errors(tmp_path):
    with pytest.raises(ValueError, match='needs outfile_dir'):
        ReferringDAVISMetric()
    out_dir = str(tmp_path / 'testdev')
    metric = ReferringDAVISMetric(outfile_dir=out_dir)  # no ground truth: PNGs only
    samples = _perfect_samples()
    metric.process({}, samples)
    assert metric.evaluate(len(samples)) == {}
    assert sorted(os.listdir(osp.join(out_dir, 'dogs'))) == [f'{t:05d}.png' for t in range(T)]

    metric = ReferringDAVISMetric(outfile_dir=out_dir)
    metric.process({}, samples[:1])
    with pytest.raises(ValueError, match="'bear' object 1 frame 0 was predicted twice"):
        metric.compute_metrics(metric.results * 2)
    bad = samples[0].to_dict()
    del bad['object_id']
    with pytest.raises(ValueError, match=r"lacks metainfo \['object_id'\]"):
        metric.process({}, [bad])
    bad = samples[0].to_dict()
    bad['seg_logits']['data'] = torch.zeros(3, H, W)
    with pytest.raises(ValueError, match=r'must be \(2, H, W\)'):
        metric.process({}, [bad])
