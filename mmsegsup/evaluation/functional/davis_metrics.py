"""DAVIS region similarity J and boundary F-measure, value for value as the official code.

Mirrors ``davis2017/metrics.py`` (``db_eval_iou``, ``f_measure``, ``_seg2bmap``) and
``davis2017/utils.py`` (``db_statistics``) of github.com/davisvideochallenge/davis2017-evaluation,
re-implemented (not copied) so that every count is the same integer and every ratio is the same
float64 operation; only the loops are replaced by arrays. All masks are ``(..., H, W)``: any
leading dimensions (objects, frames) are evaluated at once.

``skimage`` is not a dependency: :func:`disk` reproduces ``skimage.morphology.disk`` and the
dilation is the same ``cv2.dilate`` call the official code makes.

The evaluators score whole id maps with :func:`frame_pair_counts`: the same integers as the
per-mask functions (tests compare them on random maps), found in one pass per map instead of
one per object and pair -- decoding, boundaries and dilation were where the time went.
"""
from __future__ import annotations

import functools
import math
import warnings
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

__all__ = [
    'disk', 'seg_to_boundary', 'boundary_radius', 'MaskBoundary', 'dilated_boundary',
    'mask_boundary', 'label_boundaries', 'count_matches', 'frame_pair_counts',
    'region_similarity', 'boundary_measure', 'f_from_counts', 'davis_statistics'
]

ArrayOrFloat = Union[np.ndarray, float]

def disk(radius: float) -> np.ndarray:
    """Disk structuring element, the pixels of ``skimage.morphology.disk(radius)``.

    Offsets ``x, y`` in ``arange(-radius, radius + 1)`` with ``x**2 + y**2 <= radius**2``; the
    official code passes the float ``ceil(0.008 * diagonal)`` (8.0 at 480x854), so a float
    radius gives the same grid as skimage does. Returns uint8 {0, 1} as handed to cv2.dilate.
    """
    if radius < 0:
        raise ValueError(f'disk radius must be >= 0, got {radius}')
    grid = np.arange(-radius, radius + 1)
    x, y = np.meshgrid(grid, grid)
    return ((x ** 2 + y ** 2) <= radius ** 2).astype(np.uint8)


def seg_to_boundary(seg: np.ndarray) -> np.ndarray:
    """One-pixel boundary map of binary masks ``(..., H, W)``, as official ``_seg2bmap``.

    A pixel is boundary when it differs from its east, south or south-east neighbour (so the
    boundary sits half a pixel towards the origin). The image border is not a boundary: in the
    last row only the east neighbour counts, in the last column only the south one, and the
    bottom-right pixel is never a boundary. (The official resize branch, ``width``/``height``,
    is never used by the evaluation and is not reproduced.)
    """
    seg = np.asarray(seg).astype(bool)
    if seg.ndim < 2:
        raise ValueError(f'seg_to_boundary expects (..., H, W) masks, got shape {seg.shape}')
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[..., :, :-1] = seg[..., :, 1:]
    s[..., :-1, :] = seg[..., 1:, :]
    se[..., :-1, :-1] = seg[..., 1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[..., -1, :] = seg[..., -1, :] ^ e[..., -1, :]
    b[..., :, -1] = seg[..., :, -1] ^ s[..., :, -1]
    b[..., -1, -1] = False
    return b


def boundary_radius(shape: Sequence[int], bound_th: float = 0.008) -> float:
    """Boundary tolerance in pixels: ``bound_th`` itself if >= 1, else ``ceil(bound_th * diag)``.

    Official ``f_measure``: ``np.ceil(bound_th * np.linalg.norm(mask.shape))`` with the (H, W)
    shape of one frame, i.e. 8 pixels at DAVIS 480p (480x854).
    """
    if bound_th >= 1:
        return bound_th
    return float(np.ceil(bound_th * np.linalg.norm(tuple(shape[-2:]))))


class MaskBoundary(NamedTuple):
    """Boundary pixels of one mask and their dilation by the tolerance disk, kept cropped.

    ``ys, xs``: boundary pixel coordinates in the frame; ``dilated``: the ``cv2.dilate`` of the
    boundary map over the window whose top-left corner is ``(y0, x0)`` (``None`` when empty).
    """
    ys: np.ndarray
    xs: np.ndarray
    y0: int
    x0: int
    dilated: Optional[np.ndarray]

    @property
    def count(self) -> int:
        return int(self.ys.size)


@functools.lru_cache(maxsize=8)
def _dilation_kernels(radius: float) -> Tuple[np.ndarray, ...]:
    """``disk(radius)`` as a union of centred rectangles, when it is one, else the disk alone.

    Why: a dilation by a union of kernels is the union (max) of the dilations by each, and
    OpenCV dilates by a rectangle with separable row and column passes, several times faster
    than by the 197 points of the 17x17 disk; the pixels are the same.
    """
    kernel = disk(radius)
    size = kernel.shape[0]
    half = size // 2
    if size % 2 == 0 or not np.array_equal(kernel, kernel[::-1]) or not np.array_equal(
            kernel, kernel.T):
        return (kernel, )
    widths = kernel[half:].sum(axis=1) // 2  # half-width of each row below the centre
    rects = [np.ones((2 * dy + 1, 2 * int(widths[dy]) + 1), np.uint8)
             for dy in range(half + 1) if dy == half or widths[dy] > widths[dy + 1]]
    union = np.zeros_like(kernel)
    for rect in rects:
        rh, rw = rect.shape
        union[half - rh // 2:half + rh // 2 + 1, half - rw // 2:half + rw // 2 + 1] = 1
    return tuple(rects) if np.array_equal(union, kernel) else (kernel, )


def dilated_boundary(ys: np.ndarray, xs: np.ndarray, shape: Sequence[int],
                     radius: float) -> MaskBoundary:
    """:class:`MaskBoundary` of boundary pixels ``(ys, xs)`` in a frame of ``shape``: their
    ``cv2.dilate`` by ``disk(radius)`` over the pixels' bounding box grown past the kernel's
    reach (cv2's default border is neutral for dilation, no boundary pixel lies outside, and
    no pixel outside is within reach of one)."""
    if ys.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return MaskBoundary(empty, empty, 0, 0, None)
    h, w = shape[-2:]
    kernels = _dilation_kernels(radius)
    pad = max(max(kernel.shape) for kernel in kernels) // 2 + 1
    y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + pad + 1, h)
    x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + pad + 1, w)
    window = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    window[ys - y0, xs - x0] = 1
    dilated = cv2.dilate(window, kernels[0])
    for kernel in kernels[1:]:
        cv2.max(dilated, cv2.dilate(window, kernel), dst=dilated)
    return MaskBoundary(ys, xs, y0, x0, dilated.view(bool))


def mask_boundary(mask: np.ndarray, radius: float) -> MaskBoundary:
    """:func:`seg_to_boundary` and its dilation by ``disk(radius)`` for one ``(H, W)`` mask.

    Works on crops but gives the official full-frame pixels exactly: the boundary is computed
    on the mask's bounding box grown by one pixel (every boundary pixel and neighbour lies
    there, and a crop edge that is not the image edge only meets empty rows/columns), and the
    dilation as :func:`dilated_boundary`.
    """
    mask = np.asarray(mask).astype(bool)
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return dilated_boundary(np.zeros(0, np.intp), np.zeros(0, np.intp), mask.shape, radius)
    cols = np.flatnonzero(mask.any(axis=0))
    ya, yb = max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 2, h)
    xa, xb = max(int(cols[0]) - 1, 0), min(int(cols[-1]) + 2, w)
    ys, xs = np.nonzero(seg_to_boundary(mask[ya:yb, xa:xb]))
    return dilated_boundary(ys + ya, xs + xa, mask.shape, radius)


def label_boundaries(labels: np.ndarray,
                     ids: Sequence[int]) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Pixels ``(ys, xs)`` of ``seg_to_boundary(labels == k)`` for every ``k`` in ``ids``, in
    one pass over an ``(H, W)`` id map instead of one per id.

    A pixel is on id k's boundary exactly when k is among the ids of the pixel and of its east,
    south and south-east neighbours and these four are not all equal (a neighbour outside the
    map counts as the pixel itself, which is :func:`seg_to_boundary`'s border rule): so the
    pixels where a neighbour differs are found once and each id takes its share.
    """
    lab = np.ascontiguousarray(labels)
    if lab.ndim != 2:
        raise ValueError(f'label_boundaries expects an (H, W) id map, got shape {lab.shape}')
    h, w = lab.shape
    diff = np.zeros((h, w), dtype=bool)
    np.not_equal(lab[:, :-1], lab[:, 1:], out=diff[:, :-1])
    diff[:-1] |= lab[:-1] != lab[1:]
    diff[:-1, :-1] |= lab[:-1, :-1] != lab[1:, 1:]
    flat = np.flatnonzero(diff)  # much faster than a 2-D np.nonzero
    ys, xs = np.divmod(flat, w)
    east = flat + (xs < w - 1)
    south = (ys < h - 1) * w
    ids_flat = lab.ravel()
    quad = np.stack([ids_flat[flat], ids_flat[east], ids_flat[flat + south],
                     ids_flat[east + south]])
    out = []
    for k in ids:
        on = (quad == k).any(axis=0)
        out.append((ys[on], xs[on]))
    return out


def _nonzero_window(gt: np.ndarray, res: np.ndarray) -> Optional[Tuple[slice, slice]]:
    """Bounding box of the pixels that are not 0 in ``gt`` or ``res``, grown by one pixel (an
    id's boundary lies within one pixel of it); None when both are all 0."""
    x, y, w, h = cv2.boundingRect(cv2.bitwise_or(gt, res))
    if w == 0:
        return None
    height, width = gt.shape
    return (slice(max(y - 1, 0), min(y + h + 1, height)),
            slice(max(x - 1, 0), min(x + w + 1, width)))


def frame_pair_counts(gt: np.ndarray, res: np.ndarray, res_ids: Sequence[int],
                      gt_ids: Sequence[int], radius: float) -> np.ndarray:
    """Integer counts behind J and F of result id ``res_ids[i]`` against ground-truth id
    ``gt_ids[i]`` in one frame of ``(H, W)`` uint8 id maps, every pair at once.

    Returns ``(6, P)`` int64 rows: intersection, union (for J), then predicted boundary pixels
    matched, predicted boundary pixels, ground-truth boundary pixels matched, ground-truth
    boundary pixels (for :func:`f_from_counts`) -- the counts of :func:`region_similarity` and
    :func:`boundary_measure` on ``res == m`` / ``gt == k`` (clear void pixels to 0 in both maps
    first to leave them out). Why it is fast: it works in the box around the non-zero pixels
    (boundaries reach one pixel past it), finds every id's boundary in one pass
    (:func:`label_boundaries`), dilates each id's boundary once whatever the number of pairs,
    and takes J's integers from one joint histogram of the box's (gt, res) id pairs. Ids are
    1..255; the pairs may repeat ids.
    """
    gt = np.ascontiguousarray(gt, dtype=np.uint8)
    res = np.ascontiguousarray(res, dtype=np.uint8)
    res_ids = [int(m) for m in res_ids]
    gt_ids = [int(k) for k in gt_ids]
    counts = np.zeros((6, len(res_ids)), dtype=np.int64)
    window = _nonzero_window(gt, res) if res_ids else None
    if window is None:
        return counts
    g, r = np.ascontiguousarray(gt[window]), np.ascontiguousarray(res[window])
    codes = np.left_shift(g, 8, dtype=np.uint16)
    codes |= r
    conf = np.bincount(codes.ravel(), minlength=1 << 16).reshape(256, 256)
    inter = conf[gt_ids, res_ids]
    counts[0] = inter
    counts[1] = conf[gt_ids].sum(axis=1) + conf[:, res_ids].sum(axis=0) - inter
    res_set, gt_set = sorted(set(res_ids)), sorted(set(gt_ids))
    res_b = dict(zip(res_set, (dilated_boundary(ys, xs, r.shape, radius)
                               for ys, xs in label_boundaries(r, res_set))))
    gt_b = dict(zip(gt_set, (dilated_boundary(ys, xs, g.shape, radius)
                             for ys, xs in label_boundaries(g, gt_set))))
    for i, (m, k) in enumerate(zip(res_ids, gt_ids)):
        pred, true = res_b[m], gt_b[k]
        counts[2:, i] = (count_matches(pred, true), pred.count, count_matches(true, pred),
                         true.count)
    return counts


def count_matches(a: MaskBoundary, b: MaskBoundary) -> int:
    """Number of boundary pixels of ``a`` inside the dilated boundary of ``b``.

    ``count_matches(pred, gt)`` is the official ``sum(fg_boundary * gt_dil)``,
    ``count_matches(gt, pred)`` is ``sum(gt_boundary * fg_dil)``.
    """
    if a.count == 0 or b.dilated is None:
        return 0
    h, w = b.dilated.shape
    ys = a.ys - b.y0
    xs = a.xs - b.x0
    inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    return int(np.count_nonzero(b.dilated[ys[inside], xs[inside]]))


def _scalar_or_array(values: np.ndarray) -> ArrayOrFloat:
    return float(values) if values.ndim == 0 else values


def intersection_union_counts(pred: np.ndarray, gt: np.ndarray,
                              void: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel counts ``|pred & gt|`` and ``|pred | gt|`` of binary masks ``(..., H, W)``, void
    pixels (mmseg's ignore index, DAVIS's void label) left out of both."""
    pred = np.asarray(pred).astype(bool)
    gt = np.asarray(gt).astype(bool)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and ground truth {gt.shape} differ in shape')
    inter = pred & gt
    union = pred | gt
    if void is not None:
        keep = ~np.broadcast_to(np.asarray(void).astype(bool), gt.shape)
        inter &= keep
        union &= keep
    return np.count_nonzero(inter, axis=(-2, -1)), np.count_nonzero(union, axis=(-2, -1))


def region_similarity(pred: np.ndarray, gt: np.ndarray,
                      void: Optional[np.ndarray] = None) -> ArrayOrFloat:
    """Region similarity J (Jaccard index) of binary masks ``(..., H, W)``.

    As official ``db_eval_iou``: void pixels are left out of intersection and union, and an
    empty union (both masks empty outside void) scores 1. Returns a float for 2-D input, else
    one value per leading index.
    """
    n_inter, n_union = intersection_union_counts(pred, gt, void)
    with np.errstate(divide='ignore', invalid='ignore'):
        j = np.asarray(n_inter / n_union, dtype=np.float64)
    j = np.where(n_union == 0, 1.0, j)
    return _scalar_or_array(j)


def f_from_counts(fg_match: np.ndarray, n_fg: np.ndarray, gt_match: np.ndarray,
                  n_gt: np.ndarray) -> np.ndarray:
    """Boundary F from matched/total boundary pixel counts (broadcasting), as ``f_measure``.

    precision = fg_match / n_fg, recall = gt_match / n_gt; an empty predicted boundary has
    precision 1, an empty ground-truth boundary recall 1 (so empty/empty gives F = 1 and
    empty/non-empty F = 0), and F = 0 when precision + recall = 0.
    """
    fg_match, n_fg, gt_match, n_gt = np.broadcast_arrays(
        np.asarray(fg_match), np.asarray(n_fg), np.asarray(gt_match), np.asarray(n_gt))
    with np.errstate(divide='ignore', invalid='ignore'):
        precision = np.where(n_fg == 0, 1.0, fg_match / n_fg.astype(np.float64))
        recall = np.where(n_gt == 0, 1.0, gt_match / n_gt.astype(np.float64))
        total = precision + recall
        f = np.where(total == 0, 0.0, 2 * precision * recall / total)
    return f


def boundary_measure(pred: np.ndarray, gt: np.ndarray, void: Optional[np.ndarray] = None,
                     bound_th: float = 0.008) -> ArrayOrFloat:
    """Boundary F-measure of binary masks ``(..., H, W)``, as official ``f_measure``.

    Both masks are cleared at void pixels, reduced to :func:`seg_to_boundary` maps and dilated
    by ``disk(boundary_radius)`` (one radius from the frame size); precision counts predicted
    boundary pixels within the tolerance of the ground-truth boundary, recall the reverse
    (:func:`f_from_counts`).
    Returns a float for 2-D input, else one value per leading index.
    """
    pred = np.asarray(pred).astype(bool)
    gt = np.asarray(gt).astype(bool)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and ground truth {gt.shape} differ in shape')
    if void is not None:
        keep = ~np.broadcast_to(np.asarray(void).astype(bool), gt.shape)
        pred = pred & keep
        gt = gt & keep
    radius = boundary_radius(gt.shape, bound_th)
    h, w = gt.shape[-2:]
    counts = np.zeros((4, int(np.prod(gt.shape[:-2], dtype=np.int64))), dtype=np.int64)
    for i, (p, g) in enumerate(zip(pred.reshape(-1, h, w), gt.reshape(-1, h, w))):
        fg_b, gt_b = mask_boundary(p, radius), mask_boundary(g, radius)
        counts[:, i] = (count_matches(fg_b, gt_b), fg_b.count, count_matches(gt_b, fg_b),
                        gt_b.count)
    f = f_from_counts(*counts).reshape(gt.shape[:-2])
    return _scalar_or_array(np.asarray(f, dtype=np.float64))


def _statistics_1d(values: np.ndarray) -> Tuple[float, float, float]:
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        mean = np.nanmean(values)
        # nan > 0.5 is False: a nan frame counts as a miss, not as absent (official behaviour).
        recall = np.nanmean(values > 0.5)
    # Four bins over the frames; neighbouring bins share their edge frame (inclusive end).
    # The official code casts ids to uint8 (wraps past 256 frames); int64 is equal below that.
    ids = (np.round(np.linspace(1, n, 5) + 1e-10) - 1).astype(np.int64)
    bins = [values[ids[i]:ids[i + 1] + 1] for i in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        decay = np.nanmean(bins[0]) - np.nanmean(bins[3])
    return float(mean), float(recall), float(decay)


def davis_statistics(per_frame_values: np.ndarray
                     ) -> Tuple[ArrayOrFloat, ArrayOrFloat, ArrayOrFloat]:
    """(mean, recall, decay) of per-frame J or F values, as official ``db_statistics``.

    mean = nanmean; recall = fraction of frames with value strictly > 0.5 (nan frames count
    in the denominator); decay = nanmean of the first of 4 frame bins minus nanmean of the
    last. 1-D input gives floats; ``(objects, frames)`` input gives one value per object.
    """
    values = np.asarray(per_frame_values, dtype=np.float64)
    if values.ndim == 1:
        return _statistics_1d(values)
    if values.ndim != 2:
        raise ValueError('davis_statistics expects (frames,) or (objects, frames), '
                         f'got {values.shape}')
    stats = np.array([_statistics_1d(row) for row in values], dtype=np.float64).reshape(-1, 3)
    return stats[:, 0], stats[:, 1], stats[:, 2]
