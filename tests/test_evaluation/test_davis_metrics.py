"""DAVIS J / F / statistics against hand-computed golden values, the evaluation end to end
(CLI and CSVs) on a tiny DAVIS-layout folder, and every bad-input case naming its file.

Golden values follow the official definitions (davis2017-evaluation: ``db_eval_iou``,
``f_measure`` / ``_seg2bmap``, ``db_statistics``); each is derived in the comment next to it.
"""
import math
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmsegsup.evaluation.davis_eval import evaluate_davis, evaluate_sequence
from mmsegsup.evaluation.functional.davis_metrics import (boundary_measure, boundary_radius,
                                                          davis_statistics, disk,
                                                          region_similarity, seg_to_boundary)
from mmsegsup.formats.errors import DavisFileNotFoundError, DavisFormatError
from tools_utils import run

PALETTE = (np.arange(768) * 53 % 256).astype(np.uint8).tolist()


# --------------------------------------------------------------------------- disk / boundary

def test_disk_equals_skimage_disk():
    # skimage.morphology.disk(r): offsets with x^2 + y^2 <= r^2 on a (2r+1)^2 grid.
    assert disk(0).tolist() == [[1]]
    assert disk(1).tolist() == [[0, 1, 0],
                                [1, 1, 1],
                                [0, 1, 0]]
    assert disk(2).tolist() == [[0, 0, 1, 0, 0],
                                [0, 1, 1, 1, 0],
                                [1, 1, 1, 1, 1],
                                [0, 1, 1, 1, 0],
                                [0, 0, 1, 0, 0]]
    assert disk(3).tolist() == [[0, 0, 0, 1, 0, 0, 0],
                                [0, 1, 1, 1, 1, 1, 0],
                                [0, 1, 1, 1, 1, 1, 0],
                                [1, 1, 1, 1, 1, 1, 1],
                                [0, 1, 1, 1, 1, 1, 0],
                                [0, 1, 1, 1, 1, 1, 0],
                                [0, 0, 0, 1, 0, 0, 0]]
    # The official radius is the float ceil(0.008 * diagonal) = 8.0 at 480p: 17x17, and the
    # Gauss circle count N(8) = 197 lattice points.
    assert disk(8.0).shape == (17, 17) and int(disk(8.0).sum()) == 197
    assert np.array_equal(disk(8.0), disk(8))
    assert disk(3).dtype == np.uint8


def test_boundary_radius_is_official_tolerance():
    assert boundary_radius((480, 854)) == 8  # ceil(0.008 * 979.65) = ceil(7.84)
    assert boundary_radius((12, 12)) == 1  # ceil(0.008 * 16.97) = ceil(0.136)
    assert boundary_radius((480, 854), bound_th=3) == 3  # >= 1 means pixels


def test_seg_to_boundary_hand_cases():
    z = np.zeros((8, 8), bool)
    # One pixel at (5, 5): it differs from its east neighbour; (5, 4) from its east one,
    # (4, 5) from its south one and (4, 4) from its south-east one: a 2x2 block ending at it.
    one = z.copy()
    one[5, 5] = True
    assert np.argwhere(seg_to_boundary(one)).tolist() == [[4, 4], [4, 5], [5, 4], [5, 5]]
    # A full mask has no boundary: the image border is not one (last row/column rules).
    assert not seg_to_boundary(np.ones((8, 8), bool)).any()
    assert not seg_to_boundary(z).any()
    # A filled h x w rectangle away from the border: the perimeter of the (h+1) x (w+1)
    # rectangle grown one pixel up and left, 2h + 2w pixels.
    rect = z.copy()
    rect[2:5, 3:7] = True  # h = 3, w = 4
    b = seg_to_boundary(rect)
    assert int(b.sum()) == 2 * 3 + 2 * 4
    assert b[1, 2] and b[1, 6] and b[4, 2] and b[4, 6] and not b[2, 4]
    # Batched over leading dimensions.
    assert np.array_equal(seg_to_boundary(np.stack([one, rect])), np.stack(
        [seg_to_boundary(one), seg_to_boundary(rect)]))


# --------------------------------------------------------------------------------------- J

def test_region_similarity_golden():
    z = np.zeros((10, 12), bool)
    full = np.ones_like(z)
    assert region_similarity(z, z) == 1.0  # empty union scores 1 (official)
    assert region_similarity(z, full) == 0.0  # 0 / 120
    assert region_similarity(full, z) == 0.0
    assert region_similarity(full, full) == 1.0
    a, b = z.copy(), z.copy()
    a[3, 4] = b[3, 4] = True
    assert region_similarity(a, b) == 1.0  # one pixel on one pixel
    b = z.copy()
    b[3, 5] = True
    assert region_similarity(a, b) == 0.0  # one pixel next to it: 0 / 2
    # 4x4 square against the same square one column to the right: 12 / (16 + 16 - 12) = 0.6
    gt, pred = z.copy(), z.copy()
    gt[2:6, 2:6] = True
    pred[2:6, 3:7] = True
    assert region_similarity(pred, gt) == 0.6
    # Void over the extra column of the prediction: 12 / (20 - 4) = 0.75
    void = z.copy()
    void[2:6, 6] = True
    assert region_similarity(pred, gt, void) == 0.75
    # Prediction only inside void, empty ground truth: empty union again, 1.
    assert region_similarity(void, z, void) == 1.0
    # Batched: (objects, frames, H, W) -> (objects, frames)
    stack = np.stack([np.stack([pred, gt]), np.stack([z, full])])
    ref = np.stack([np.stack([gt, gt]), np.stack([z, z])])
    assert region_similarity(stack, ref).tolist() == [[0.6, 1.0], [1.0, 0.0]]


# --------------------------------------------------------------------------------------- F

def test_boundary_measure_golden_small():
    z = np.zeros((12, 12), bool)  # tolerance 1 pixel (disk(1) = cross)
    full = np.ones_like(z)
    assert boundary_measure(z, z) == 1.0  # no boundary on either side: P = R = 1
    # Empty vs full: J = 0 but F = 1, since a full mask has no boundary (image border).
    assert boundary_measure(z, full) == 1.0 and region_similarity(z, full) == 0.0
    square = z.copy()
    square[3:8, 3:8] = True
    assert boundary_measure(z, square) == 0.0  # P = 1, R = 0
    assert boundary_measure(square, z) == 0.0  # P = 0, R = 1
    assert boundary_measure(square, square) == 1.0
    # One pixel vs one pixel shifted right by s: 2x2 boundary blocks at columns 4-5 and
    # 4+s..5+s. s=1: every pixel within 1 of the other block -> F = 1 (while J = 0).
    # s=2: only the facing columns (2 of 4 pixels) are 1 apart -> P = R = 0.5 -> F = 0.5.
    # s=3: the closest columns are 2 apart -> F = 0.
    one = z.copy()
    one[5, 5] = True
    expected = {1: 1.0, 2: 0.5, 3: 0.0}
    for shift, f in expected.items():
        other = z.copy()
        other[5, 5 + shift] = True
        assert boundary_measure(other, one) == f, shift
        assert region_similarity(other, one) == 0.0
    # Thin lines: full-width horizontal lines at rows 5 and 7. Boundaries: rows 4-5 and
    # 6-7 (24 pixels each). Tolerance 1: row 6 matches row 5 and vice versa -> P = R = 12/24.
    line5, line7 = z.copy(), z.copy()
    line5[5, :] = True
    line7[7, :] = True
    assert boundary_measure(line7, line5) == 0.5
    assert region_similarity(line7, line5) == 0.0
    # Tolerance 2 pixels (bound_th >= 1 is in pixels): every row is within 2 -> F = 1.
    assert boundary_measure(line7, line5, bound_th=2) == 1.0
    # Vertical thin line on itself.
    vert = z.copy()
    vert[:, 6] = True
    assert boundary_measure(vert, vert) == 1.0 and region_similarity(vert, vert) == 1.0


def test_boundary_measure_davis_size_shifted_squares():
    # 480x854: tolerance ceil(0.008 * 979.65) = 8 pixels. Ground truth: 100x100 square at
    # rows/cols 100..199; its boundary is the 101x101 perimeter from (99, 99): 400 pixels.
    gt = np.zeros((480, 854), bool)
    gt[100:200, 100:200] = True
    # Shifted 8 columns: left/right edges exactly 8 apart (8^2 <= 8^2 counts), the top and
    # bottom rows overlap or end within 8 -> every pixel matched: F = 1.
    # J = 100*92 / (20000 - 9200) = 9200 / 10800.
    pred = np.zeros_like(gt)
    pred[100:200, 108:208] = True
    assert boundary_measure(pred, gt) == 1.0
    assert region_similarity(pred, gt) == 9200 / 10800
    # Shifted 9 columns: the right edge (101 pixels) is 9 from everything; of the left edge's
    # 99 inner pixels only those within 8 rows of the top or bottom row match (83 do not).
    # Matched = 400 - 101 - 83 = 216 -> P = R = 216/400 = 0.54 = F.
    pred = np.zeros_like(gt)
    pred[100:200, 109:209] = True
    assert boundary_measure(pred, gt) == 216 / 400
    assert region_similarity(pred, gt) == 9100 / 10900


def test_boundary_measure_void():
    z = np.zeros((12, 12), bool)
    gt = z.copy()
    gt[3:7, 3:7] = True
    pred = gt.copy()
    pred[9:11, 8:11] = True  # a spurious blob ...
    void = z.copy()
    void[9:11, 8:11] = True  # ... entirely in void: both masks are cleared there first
    assert boundary_measure(pred, gt) < 1.0
    assert boundary_measure(pred, gt, void) == 1.0
    assert region_similarity(pred, gt, void) == 1.0


def _brute_force_f(pred, gt, radius):
    """F from the definition: boundary pixels within Euclidean ``radius`` of the other's."""
    pb, gb = np.argwhere(seg_to_boundary(pred)), np.argwhere(seg_to_boundary(gt))

    def matched(a, b):
        if len(a) == 0 or len(b) == 0:
            return 0
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return int((d2.min(1) <= radius ** 2).sum())

    precision = 1.0 if len(pb) == 0 else matched(pb, gb) / len(pb)
    recall = 1.0 if len(gb) == 0 else matched(gb, pb) / len(gb)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def test_boundary_measure_equals_definition_and_batches():
    rng = np.random.default_rng(0)
    for i in range(24):
        h, w = rng.integers(5, 30, 2)
        gt = rng.random((h, w)) < rng.uniform(0.05, 0.6)
        pred = np.roll(gt, int(rng.integers(-3, 4)), axis=1) ^ (rng.random((h, w)) < 0.05)
        bound = [0.008, 2, 3][i % 3]
        f = boundary_measure(pred, gt, bound_th=bound)
        assert f == pytest.approx(_brute_force_f(pred, gt, boundary_radius((h, w), bound)),
                                  abs=1e-12)
    # (objects, frames, H, W) at once equals frame by frame.
    gt = rng.random((3, 4, 20, 25)) < 0.3
    pred = rng.random((3, 4, 20, 25)) < 0.3
    batched = boundary_measure(pred, gt)
    assert batched.shape == (3, 4)
    for o in range(3):
        for t in range(4):
            assert batched[o, t] == boundary_measure(pred[o, t], gt[o, t])


# ------------------------------------------------------------------------------ statistics

def test_statistics_mean_recall_decay():
    assert davis_statistics(np.ones(4)) == (1.0, 1.0, 0.0)
    # Recall is the fraction strictly above 0.5: only 0.6 counts.
    assert davis_statistics(np.array([0.5, 0.5, 0.6, 0.4]))[1] == 0.25
    # 8 frames: bin edges round(linspace(1, 8, 5) + 1e-10) - 1 = [0, 2, 4, 5, 7]; bins include
    # their end, so bin 1 = frames 0..2 and bin 4 = frames 5..7: D = 2/3 - 1/3.
    mean, recall, decay = davis_statistics(np.array([1, 1, 0, 0, 0, 0, 0, 1.0]))
    assert (mean, recall) == (0.375, 0.375)
    assert decay == pytest.approx(1 / 3, abs=1e-15)
    # 3 frames: edges [0, 1, 1, 2, 2] (the 1e-10 makes 2.5 round up): D = mean(1, .5) - 0.
    assert davis_statistics(np.array([1.0, 0.5, 0.0])) == (0.5, 1 / 3, 0.75)
    # One frame: all four bins are that frame, decay 0.
    assert davis_statistics(np.array([0.7])) == (0.7, 1.0, 0.0)


def test_statistics_nan_handling():
    # nan is skipped by the means, but counts as a miss in the recall denominator (nan > 0.5
    # is False). 4 frames: edges [0, 1, 2, 2, 3]: D = nanmean(nan, 1) - mean(0, 1) = 0.5.
    mean, recall, decay = davis_statistics(np.array([np.nan, 1.0, 0.0, 1.0]))
    assert mean == pytest.approx(2 / 3, abs=1e-15)
    assert recall == 0.5
    assert decay == 0.5
    assert all(math.isnan(v) for v in davis_statistics(np.array([])))
    assert all(math.isnan(v) for v in davis_statistics(np.array([np.nan, np.nan]))[::2])
    # (objects, frames) gives one value per object.
    m, r, d = davis_statistics(np.array([[1.0, 1.0, 1.0], [1.0, 0.5, 0.0]]))
    assert m.tolist() == [1.0, 0.5] and r.tolist() == [1.0, 1 / 3] and d.tolist() == [0.0, 0.75]


# ------------------------------------------------------------------------- end-to-end fixture

H, W = 40, 56


def _png(ids, path, mode='P'):
    os.makedirs(osp.dirname(path), exist_ok=True)
    ids = np.asarray(ids, np.uint8)
    if mode == 'P':
        img = Image.fromarray(ids, mode='P')
        img.putpalette(PALETTE)
    elif mode == 'RGB':
        img = Image.fromarray(np.stack([ids] * 3, -1), mode='RGB')
    else:
        img = Image.fromarray(ids, mode=mode)
    img.save(path)


def _video(num_objects, frames, void=False):
    """Object k: a 5x8 rectangle on rows 7(k-1)+2.., moving right one column per frame."""
    out = np.zeros((frames, H, W), np.uint8)
    for t in range(frames):
        for k in range(1, num_objects + 1):
            y = 7 * (k - 1) + 2
            out[t, y:y + 5, 3 * k + t:3 * k + t + 8] = k
        if void:
            out[t, 36:38, 0:3] = 255  # 6 void pixels, away from every object
    return out


@pytest.fixture
def davis(tmp_path):
    """DAVIS-layout root (seqA: 5 objects x 6 frames; seqB: 2 objects x 5 frames with void)."""
    root, results = str(tmp_path / 'DAVIS'), str(tmp_path / 'results')
    videos = {'seqA': _video(5, 6), 'seqB': _video(2, 5, void=True)}
    os.makedirs(osp.join(root, 'ImageSets', '2017'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('seqA\nseqB\n')
    black = Image.new('RGB', (W, H))
    for name, video in videos.items():
        os.makedirs(osp.join(root, 'JPEGImages', '480p', name))
        for t, ids in enumerate(video):
            black.save(osp.join(root, 'JPEGImages', '480p', name, f'{t:05d}.jpg'))
            for folder in ('Annotations', 'Annotations_unsupervised'):
                _png(ids, osp.join(root, folder, '480p', name, f'{t:05d}.png'))
            _png(np.where(ids == 255, 0, ids), osp.join(results, name, f'{t:05d}.png'))
    return root, results, videos


def _cli(*args, subprocess: bool = False):
    return run(['tools/eval_davis.py', *args], subprocess=subprocess, check=False)


def test_cli_perfect_results_give_one(davis, tmp_path):
    root, results, _ = davis
    out_dir = str(tmp_path / 'csv')
    proc = _cli('--davis-root', root, '--results', results, '--out-dir', out_dir,
                subprocess=True)
    assert proc.returncode == 0, proc.stderr
    assert 'Global results for val' in proc.stdout
    with open(osp.join(out_dir, 'global_results-val.csv')) as f:
        assert f.read() == ('J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay\n'
                            '1.000,1.000,1.000,0.000,1.000,1.000,0.000\n')
    with open(osp.join(out_dir, 'per-sequence_results-val.csv')) as f:
        lines = f.read().splitlines()
    names = [f'seqA_{k}' for k in range(1, 6)] + ['seqB_1', 'seqB_2']
    assert lines == ['Sequence,J-Mean,F-Mean'] + [f'{n},1.000,1.000' for n in names]
    assert not [n for n in os.listdir(out_dir) if n.startswith('.tmp')]  # atomic writes


def test_cli_bad_input_names_the_file(davis):
    root, results, _ = davis
    missing = osp.join(results, 'seqA', '00002.png')
    os.remove(missing)
    proc = _cli('--davis-root', root, '--results', results, '--no-progress')
    assert proc.returncode == 2
    assert missing in proc.stderr
    assert not osp.exists(osp.join(results, 'global_results-val.csv'))


def test_missing_object_counts_as_empty_and_ends_are_not_read(davis):
    root, results, videos = davis
    # Object 5 of seqA never predicted: J = 0 (empty vs non-empty) and F = 0 (P = 1, R = 0)
    # in each frame; the 6 other objects are perfect -> every global mean is 6/7.
    for t, ids in enumerate(videos['seqA']):
        _png(np.where(ids == 5, 0, ids), osp.join(results, 'seqA', f'{t:05d}.png'))
    # Semi-supervised drops the first and the last frame: their result files are not needed.
    for name, video in videos.items():
        os.remove(osp.join(results, name, '00000.png'))
        os.remove(osp.join(results, name, f'{len(video) - 1:05d}.png'))
    out = evaluate_davis(root, results, progress=False)
    for key in ('J&F-Mean', 'J-Mean', 'J-Recall', 'F-Mean', 'F-Recall'):
        assert out[key] == pytest.approx(6 / 7, abs=1e-12), key
    assert out['J-Decay'] == 0.0 and out['F-Decay'] == 0.0
    row = out['per_object'][4]
    assert row['Sequence'] == 'seqA_5' and row['J-Mean'] == 0.0 and row['F-Mean'] == 0.0
    assert row['num_frames'] == 4 and out['num_frames'] == 4 + 3
    assert out['per_frame']['seqA']['J'].shape == (5, 4)


def test_void_semi_supervised_counts_unsupervised_excludes(davis):
    root, results, videos = davis
    # The result also paints seqB's 6 void pixels as object 1. The official semi-supervised
    # evaluation passes no void mask (255 is background): J(seqB_1) = 40 / 46 per frame.
    # The unsupervised one excludes void pixels: J = F = 1.
    for t, ids in enumerate(videos['seqB']):
        _png(np.where(ids == 255, 1, ids), osp.join(results, 'seqB', f'{t:05d}.png'))
    semi = evaluate_davis(root, results, progress=False, sequences=['seqB'])
    assert semi['per_object'][0]['J-Mean'] == pytest.approx(40 / 46, abs=1e-12)
    assert semi['per_object'][0]['F-Mean'] < 1.0
    unsup = evaluate_davis(root, results, task='unsupervised', progress=False,
                           sequences=['seqB'])
    assert unsup['J&F-Mean'] == 1.0


def test_unsupervised_hungarian_matching(davis):
    root, results, videos = davis
    # seqB proposals: object 1 -> id 3, object 2 -> id 1, and a spurious id 2 elsewhere.
    for t, ids in enumerate(videos['seqB']):
        prop = np.zeros_like(ids)
        prop[ids == 1] = 3
        prop[ids == 2] = 1
        prop[30:33, 40:44] = 2
        _png(prop, osp.join(results, 'seqB', f'{t:05d}.png'))
    out = evaluate_davis(root, results, task='unsupervised', progress=False)
    assert out['J&F-Mean'] == 1.0
    rows = [r for r in out['per_object'] if r['sequence'] == 'seqB']
    # Rows follow the matched proposal ids (official linear_sum_assignment order).
    assert [(r['Sequence'], r['proposal'], r['object']) for r in rows] == [
        ('seqB_1', 1, 2), ('seqB_2', 3, 1)]
    assert out['num_frames'] == 6 + 5  # every frame is evaluated


def test_evaluate_sequence_direct():
    gt = _video(2, 4)
    out = evaluate_sequence(gt, gt, num_objects=2)
    assert out['J'].tolist() == [[1.0] * 4] * 2 and out['F'].tolist() == [[1.0] * 4] * 2
    with pytest.raises(ValueError):
        evaluate_sequence(gt, np.full_like(gt, 3), num_objects=2)


# ------------------------------------------------------------------------------- bad input

def _rgb_annotation(root, results):
    path = osp.join(root, 'Annotations', '480p', 'seqA', '00003.png')
    _png(np.zeros((H, W)), path, mode='RGB')
    return path


def _rgb_result(root, results):
    path = osp.join(results, 'seqA', '00002.png')
    _png(np.zeros((H, W)), path, mode='RGB')
    return path


def _unknown_id(root, results):
    path = osp.join(results, 'seqA', '00002.png')
    ids = np.zeros((H, W), np.uint8)
    ids[0, 0] = 6  # seqA has objects 1..5
    _png(ids, path)
    return path


def _missing_result(root, results):
    path = osp.join(results, 'seqB', '00003.png')
    os.remove(path)
    return path


def _missing_annotation(root, results):
    path = osp.join(root, 'Annotations', '480p', 'seqB', '00002.png')
    os.remove(path)
    return path


def _missing_result_folder(root, results):
    path = osp.join(results, 'seqB')
    for name in os.listdir(path):
        os.remove(osp.join(path, name))
    os.rmdir(path)
    return path


def _annotation_size(root, results):
    path = osp.join(root, 'Annotations', '480p', 'seqB', '00002.png')
    _png(np.zeros((H + 2, W)), path)
    return path


def _result_size(root, results):
    path = osp.join(results, 'seqA', '00001.png')
    _png(np.zeros((H, W - 4)), path)
    return path


def _empty_video(root, results):
    path = osp.join(root, 'JPEGImages', '480p', 'seqC')
    os.makedirs(path)
    os.makedirs(osp.join(root, 'Annotations', '480p', 'seqC'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'a') as f:
        f.write('seqC\n')
    return path


def _two_frame_video(root, results):
    path = osp.join(root, 'Annotations', '480p', 'seqC')
    for t in range(2):
        Image.new('RGB', (W, H)).save(osp.join(_mkdir(root, 'JPEGImages', 'seqC'), f'{t:05d}.jpg'))
        _png(np.zeros((H, W)), osp.join(path, f'{t:05d}.png'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'a') as f:
        f.write('seqC\n')
    return path


def _mkdir(root, kind, name):
    path = osp.join(root, kind, '480p', name)
    os.makedirs(path, exist_ok=True)
    return path


def _missing_split(root, results):
    path = osp.join(root, 'ImageSets', '2017', 'val.txt')
    os.remove(path)
    return path


BAD_INPUTS = [
    (_rgb_annotation, DavisFormatError, 'mode-RGB'),
    (_rgb_result, DavisFormatError, 'mode-RGB'),
    (_unknown_id, DavisFormatError, '[6]'),
    (_missing_result, DavisFileNotFoundError, 'not found'),
    (_missing_annotation, DavisFileNotFoundError, 'not found'),
    (_missing_result_folder, DavisFileNotFoundError, 'not found'),
    (_annotation_size, DavisFormatError, '56x42'),
    (_result_size, DavisFormatError, '52x40'),
    (_empty_video, DavisFormatError, 'empty video'),
    (_two_frame_video, DavisFormatError, 'empty video'),
    (_missing_split, DavisFileNotFoundError, 'not found'),
]


@pytest.mark.parametrize('corrupt,error,words', BAD_INPUTS,
                         ids=[c[0].__name__.strip('_') for c in BAD_INPUTS])
def test_bad_input_error_names_the_file(davis, corrupt, error, words):
    root, results, _ = davis
    path = corrupt(root, results)
    with pytest.raises(error) as info:
        evaluate_davis(root, results, progress=False)
    assert path in str(info.value)
    assert words in str(info.value)
    assert isinstance(info.value, (FileNotFoundError, ValueError))


def test_unsupervised_too_many_proposals(davis):
    root, results, _ = davis
    path = osp.join(results, 'seqA', '00004.png')
    ids = np.zeros((H, W), np.uint8)
    ids[0, :21] = np.arange(1, 22)
    _png(ids, path)
    with pytest.raises(DavisFormatError) as info:
        evaluate_davis(root, results, task='unsupervised', progress=False)
    assert path in str(info.value) and '20 proposals' in str(info.value)


def test_grey_l_pngs_are_accepted(davis):
    root, results, videos = davis
    for t, ids in enumerate(videos['seqA']):
        _png(ids, osp.join(results, 'seqA', f'{t:05d}.png'), mode='L')
    assert evaluate_davis(root, results, progress=False)['J&F-Mean'] == 1.0
