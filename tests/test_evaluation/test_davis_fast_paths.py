"""The evaluator's fast paths give the straightforward computation's integers exactly.

The straightforward computation is the official procedure written plainly: per object, the
full-frame ``seg_to_boundary`` maps, full-frame ``cv2.dilate`` by ``disk(radius)``, and pixel
sums. The fast paths (one boundary pass for every id, crops, the disk as a union of
rectangles, one joint histogram for J) must give the same counts on random id maps, empty
masks, masks touching the border, 1-pixel objects, odd and 1-pixel-wide frames, and void.
"""
import cv2
import numpy as np
import pytest

from mmsegsup.evaluation.davis_eval import evaluate_davis
from mmsegsup.evaluation.functional.davis_metrics import (boundary_radius, count_matches,
                                                          dilated_boundary, disk,
                                                          frame_pair_counts, label_boundaries,
                                                          seg_to_boundary)
from mmsegsup.evaluation.functional.davis_metrics import _dilation_kernels


def _straight_counts(res, gt, m, k, radius):
    """(inter, union, fg_match, n_fg, gt_match, n_gt) of ``res == m`` vs ``gt == k``, plainly."""
    pred, true = res == m, gt == k
    fb, gb = seg_to_boundary(pred), seg_to_boundary(true)
    kernel = disk(radius)
    fd = cv2.dilate(fb.astype(np.uint8), kernel) > 0
    gd = cv2.dilate(gb.astype(np.uint8), kernel) > 0
    return (int((pred & true).sum()), int((pred | true).sum()), int((fb & gd).sum()),
            int(fb.sum()), int((gb & fd).sum()), int(gb.sum()))


def _random_ids(rng, h, w, n_ids):
    """Blobs of ids 0..n_ids: a coarse random grid blown up, plus salt (1-pixel objects)."""
    cells = rng.integers(0, n_ids + 1, (max(h // 4, 1) + 1, max(w // 4, 1) + 1))
    ids = cv2.resize(cells.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    salt = rng.random((h, w)) < 0.01
    ids[salt] = rng.integers(0, n_ids + 1, int(salt.sum()))
    return ids.astype(np.uint8)


SHAPES = [(1, 1), (1, 9), (9, 1), (2, 2), (5, 7), (17, 31), (33, 20), (64, 97)]


@pytest.mark.parametrize('shape', SHAPES)
def test_label_boundaries_equal_per_id_seg_to_boundary(shape):
    rng = np.random.default_rng(sum(shape))
    for n_ids in (1, 3, 6):
        ids = _random_ids(rng, *shape, n_ids)
        wanted = list(range(0, n_ids + 3))  # 0, present ids and absent ones
        for k, (ys, xs) in zip(wanted, label_boundaries(ids, wanted)):
            assert np.array_equal(np.stack([ys, xs], 1),
                                  np.argwhere(seg_to_boundary(ids == k))), (shape, k)


def test_label_boundaries_border_and_single_pixel_cases():
    ids = np.zeros((6, 7), np.uint8)
    ids[0, 0] = 1  # top-left corner
    ids[5, 6] = 2  # bottom-right corner: never a boundary pixel of its own
    ids[5, 2] = 3  # bottom row
    ids[2, 6] = 4  # right column
    ids[3, 3] = 5  # inside
    for k, (ys, xs) in zip(range(1, 6), label_boundaries(ids, range(1, 6))):
        assert np.array_equal(np.stack([ys, xs], 1), np.argwhere(seg_to_boundary(ids == k)))
    full = np.ones((4, 5), np.uint8)  # an object filling the frame has no boundary
    assert [len(ys) for ys, _ in label_boundaries(full, [1])] == [0]


@pytest.mark.parametrize('radius', [0, 1, 2, 2.5, 3, 5, 8, 8.0, 11, 16, 3.7])
def test_dilation_kernels_union_is_the_disk(radius):
    kernel = disk(radius)
    parts = _dilation_kernels(radius)
    rng = np.random.default_rng(int(radius * 10))
    img = (rng.random((45, 61)) < 0.02).astype(np.uint8)
    union = np.zeros_like(img)
    for part in parts:
        union = np.maximum(union, cv2.dilate(img, part))
    assert np.array_equal(union, cv2.dilate(img, kernel))


@pytest.mark.parametrize('radius', [1, 2.5, 8])
def test_dilated_boundary_equals_full_frame_dilation(radius):
    rng = np.random.default_rng(7)
    for shape in [(1, 12), (12, 1), (30, 41), (70, 55)]:
        b = seg_to_boundary(rng.random(shape) < 0.1)
        ys, xs = np.nonzero(b)
        mb = dilated_boundary(ys, xs, shape, radius)
        full = cv2.dilate(b.astype(np.uint8), disk(radius)) > 0
        # every pixel of the frame: inside the window as dilated, outside never reached
        grid_y, grid_x = np.mgrid[:shape[0], :shape[1]]
        probe = dilated_boundary(grid_y.ravel(), grid_x.ravel(), shape, radius)
        assert count_matches(probe, mb) == int(full.sum())
        assert mb.count == int(b.sum())


@pytest.mark.parametrize('shape', SHAPES)
def test_frame_pair_counts_equal_straightforward(shape):
    rng = np.random.default_rng(100 + shape[0] * 7 + shape[1])
    for trial in range(4):
        n_gt, n_res = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        gt = _random_ids(rng, *shape, n_gt)
        res = _random_ids(rng, *shape, n_res) if trial else gt.copy()  # trial 0: perfect
        if trial == 3:
            gt[gt == 1] = 255  # ids not asked for (void, later objects) are background
        radius = [boundary_radius(shape), 1, 3, 2.5][trial]
        res_ids = np.repeat(np.arange(1, n_res + 2), n_gt + 1)  # every pair, absent ids too
        gt_ids = np.tile(np.arange(1, n_gt + 2), n_res + 1)
        counts = frame_pair_counts(gt, res, res_ids, gt_ids, radius)
        want = np.array([_straight_counts(res, gt, m, k, radius)
                         for m, k in zip(res_ids, gt_ids)]).T
        assert np.array_equal(counts, want), (shape, trial)


def test_frame_pair_counts_empty_frames_and_no_pairs():
    z = np.zeros((9, 13), np.uint8)
    assert frame_pair_counts(z, z, [1, 2], [1, 2], 1).tolist() == [[0, 0]] * 6
    one = z.copy()
    one[4, 6] = 1  # a 1-pixel object against an empty result: 4 boundary pixels, none matched
    assert frame_pair_counts(one, z, [1], [1], 1)[:, 0].tolist() == [0, 1, 0, 0, 0, 4]
    assert frame_pair_counts(one, one, [], [], 1).shape == (6, 0)


def test_frame_pair_counts_touching_the_border():
    gt = np.zeros((20, 30), np.uint8)
    gt[:, :4] = 1  # the whole left edge
    gt[-3:, 10:] = 2  # the bottom-right corner region
    res = np.roll(gt, 2, axis=1)
    for radius in (1, 2, 8):
        counts = frame_pair_counts(gt, res, [1, 2, 1, 2], [1, 2, 2, 1], radius)
        want = np.array([_straight_counts(res, gt, m, k, radius)
                         for m, k in ((1, 1), (2, 2), (1, 2), (2, 1))]).T
        assert np.array_equal(counts, want)


def test_parallel_workers_give_identical_results(tmp_path):
    """Scoring sequences in worker processes changes nothing, in order or in value."""
    import os
    import os.path as osp

    from mmsegsup.formats.index_png import write_index_png
    from mmsegsup.formats.palettes import DAVIS_PALETTE
    from PIL import Image

    rng = np.random.default_rng(3)
    root, results = tmp_path / 'DAVIS', tmp_path / 'results'
    names = [f's{i}' for i in range(3)]
    os.makedirs(root / 'ImageSets' / '2017')
    (root / 'ImageSets' / '2017' / 'val.txt').write_text('\n'.join(names) + '\n')
    for name in names:
        for sub in ('JPEGImages', 'Annotations', 'Annotations_unsupervised'):
            os.makedirs(root / sub / '480p' / name)
        os.makedirs(results / name)
        for t in range(4):
            gt = _random_ids(rng, 24, 32, 3)
            gt[0, 0] = 3  # every object in the first frame
            gt[1, 1], gt[2, 2] = 1, 2
            Image.new('RGB', (32, 24)).save(root / 'JPEGImages' / '480p' / name / f'{t:05d}.jpg')
            for sub in ('Annotations', 'Annotations_unsupervised'):
                write_index_png(gt, osp.join(root, sub, '480p', name, f'{t:05d}.png'),
                                DAVIS_PALETTE)
            write_index_png(np.roll(gt, 1, axis=0), osp.join(results, name, f'{t:05d}.png'),
                            DAVIS_PALETTE)
    for task in ('semi-supervised', 'unsupervised'):
        one = evaluate_davis(str(root), str(results), task=task, progress=False, workers=1)
        two = evaluate_davis(str(root), str(results), task=task, progress=False, workers=2)
        assert one['per_object'] == two['per_object']
        for name in names:
            for m in ('J', 'F'):
                assert np.array_equal(one['per_frame'][name][m], two['per_frame'][name][m])
        assert one['J&F-Mean'] == two['J&F-Mean']
