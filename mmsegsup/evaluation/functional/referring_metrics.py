"""Referring segmentation metrics: overall IoU, mean IoU, precision@K, per-expression rows.

The protocol of the referring literature (Liu et al., RefVOS's ``test.py``, the A2D-Sentences
protocol of Gavrilyuk et al., LAVT): one *sample* is one (expression, annotated frame) pair with
a binary prediction and a binary ground truth, and

* overall IoU = sum of intersections / sum of unions over all samples (cumulative, so large
  objects weigh more);
* mean IoU = mean of the per-sample IoU (every sample weighs the same);
* precision@K = fraction of samples whose IoU is ``>= K``, for K in 0.5 ... 0.9. The thesis
  text says "larger than X", but the published code (miriambellver/refvos ``test.py``, LAVT,
  and their derivatives) counts ``this_iou >= K``; we follow the code, which only differs for
  IoUs exactly equal to K (e.g. I/U = 1/2 counts at 0.5).

Empty union (both masks empty): the sample's IoU is 1.0, as DAVIS J (``db_eval_iou``), and it
adds 0 to both overall sums. (RefVOS's code scores such a sample 0.0; referring ground truth is
never empty in RefCOCO/A2D, so published numbers do not depend on the choice.) With every
sample empty the overall IoU is 1.0; with no sample at all every value is nan.

All functions here are pure numpy: masks, integer counts and floats in and out. The
``ReferringMetric`` / ``ReferringDAVISMetric`` wrappers live in ``evaluation/metrics``.
"""
from __future__ import annotations

import csv
import io
import math
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ...formats.errors import FormatError, MissingFileError
from ...utils.io import write_text_atomic
from .davis_metrics import intersection_union_counts

__all__ = [
    'PRECISION_THRESHOLDS', 'REFERRING_CSV_COLUMNS', 'intersection_and_union', 'sample_ious',
    'overall_iou', 'mean_iou', 'precision_at', 'precision_key', 'referring_scores',
    'per_expression_rows', 'write_referring_results_csv', 'load_referring_results_csv',
    'quantize_foreground', 'merge_object_probabilities'
]

PRECISION_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
# Columns of the per-expression CSV; ``intersection`` / ``union`` (pixel sums over the
# expression's frames) let a reader recompute overall IoU for any subset of expressions.
REFERRING_CSV_COLUMNS = ('expr_id', 'video', 'num_frames', 'iou', 'mean_frame_iou', 'trivial',
                         'intersection', 'union')
_REQUIRED_CSV_COLUMNS = REFERRING_CSV_COLUMNS[:6]


def intersection_and_union(pred: np.ndarray, gt: np.ndarray,
                           ignore: Optional[np.ndarray] = None) -> Tuple[int, int]:
    """Pixel counts ``(|pred & gt|, |pred | gt|)`` of two binary ``(H, W)`` masks.

    Pixels where ``ignore`` is true count in neither (mmseg's ``ignore_index`` convention).
    """
    inter, union = intersection_union_counts(pred, gt, ignore)
    return int(inter), int(union)


def _counts(intersections: Iterable[int], unions: Iterable[int]) -> Tuple[np.ndarray, np.ndarray]:
    inter = np.asarray(list(intersections), dtype=np.int64).reshape(-1)
    union = np.asarray(list(unions), dtype=np.int64).reshape(-1)
    if inter.shape != union.shape:
        raise ValueError(f'{inter.size} intersections but {union.size} unions')
    if np.any(inter < 0) or np.any(inter > union):
        raise ValueError('intersections must satisfy 0 <= intersection <= union')
    return inter, union


def sample_ious(intersections: Iterable[int], unions: Iterable[int],
                empty_union_iou: float = 0.0) -> np.ndarray:
    """Per-sample IoU ``I / U`` (float64); ``empty_union_iou`` where the union is empty.

    0.0 (default): the original RefVOS ``test.py`` (test.py:144-147), as LAVT's and CRIS's
    test code; 1.0: the DAVIS toolkit's J of an empty frame (``db_eval_iou``).
    """
    inter, union = _counts(intersections, unions)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union == 0, float(empty_union_iou), inter / union.astype(np.float64))


def overall_iou(intersections: Iterable[int], unions: Iterable[int]) -> float:
    """Cumulative IoU ``sum(I) / sum(U)``; 1.0 if every union is empty, nan without samples."""
    inter, union = _counts(intersections, unions)
    if inter.size == 0:
        return math.nan
    total = int(union.sum())
    return 1.0 if total == 0 else int(inter.sum()) / total


def mean_iou(intersections: Iterable[int], unions: Iterable[int],
             empty_union_iou: float = 0.0) -> float:
    """Mean of the per-sample IoUs (:func:`sample_ious`); nan without samples."""
    ious = sample_ious(intersections, unions, empty_union_iou)
    return float(ious.mean()) if ious.size else math.nan


def precision_at(ious: Iterable[float], thresholds: Sequence[float] = PRECISION_THRESHOLDS
                 ) -> Dict[float, float]:
    """Fraction of samples with IoU ``>= K`` for each threshold K (the RefVOS / LAVT code).

    IoUs are exact ratios ``I / U``; float division rounds ``I / U`` and the literal K to the
    same double when they are equal as fractions, so ``>=`` is exact at the boundary.
    """
    values = np.asarray(list(ious), dtype=np.float64).reshape(-1)
    out = {}
    for k in thresholds:
        if not 0.0 <= float(k) <= 1.0:
            raise ValueError(f'precision thresholds must lie in [0, 1], got {k}')
        out[float(k)] = float(np.mean(values >= k)) if values.size else math.nan
    return out


def precision_key(threshold: float) -> str:
    """Result key of precision at ``threshold``: ``'prec@0.5'``."""
    return f'prec@{float(threshold):g}'


def referring_scores(intersections: Iterable[int], unions: Iterable[int],
                     thresholds: Sequence[float] = PRECISION_THRESHOLDS,
                     empty_union_iou: float = 0.0) -> Dict[str, float]:
    """``overall_iou``, ``mean_iou`` and ``prec@K`` of the samples, as fractions in [0, 1].

    ``empty_union_iou=0.0`` gives the original RefVOS ``test.py`` numbers (an empty union is a
    sample of IoU 0); the overall IoU does not depend on it.
    """
    inter, union = _counts(intersections, unions)
    out = {'overall_iou': overall_iou(inter, union),
           'mean_iou': mean_iou(inter, union, empty_union_iou)}
    precision = precision_at(sample_ious(inter, union, empty_union_iou), thresholds)
    out.update((precision_key(k), v) for k, v in precision.items())
    return out


def per_expression_rows(samples: Iterable[Mapping[str, object]],
                        empty_union_iou: float = 0.0) -> List[Dict[str, object]]:
    """One row per ``expr_id`` (first-appearance order) from per-sample records.

    Each record holds ``expr_id``, ``video``, ``trivial``, ``intersection`` and ``union``.
    A row has the :data:`REFERRING_CSV_COLUMNS`: ``iou`` is cumulative over the expression's
    frames (sum I / sum U, ``empty_union_iou`` if all empty), ``mean_frame_iou`` the mean of
    its per-frame IoUs (an empty frame scores ``empty_union_iou``, see :func:`sample_ious`);
    an image expression has ``num_frames`` 1 and both values equal. ``video`` and ``trivial``
    must agree over an expression's frames.
    """
    groups: 'OrderedDict[str, Dict[str, object]]' = OrderedDict()
    for s in samples:
        key = str(s['expr_id'])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {'video': s.get('video'), 'trivial': s.get('trivial'),
                                   'inter': [], 'union': []}
        for field in ('video', 'trivial'):
            if group[field] != s.get(field):
                raise ValueError(f'expression {key!r} has {field} {group[field]!r} in one '
                                 f'sample and {s.get(field)!r} in another; an expression '
                                 f'must describe one referent of one video')
        group['inter'].append(int(s['intersection']))
        group['union'].append(int(s['union']))
    rows = []
    for key, g in groups.items():
        rows.append({'expr_id': key, 'video': g['video'], 'num_frames': len(g['inter']),
                     'iou': (overall_iou(g['inter'], g['union']) if sum(g['union'])
                             else float(empty_union_iou)),
                     'mean_frame_iou': mean_iou(g['inter'], g['union'], empty_union_iou),
                     'trivial': g['trivial'], 'intersection': int(sum(g['inter'])),
                     'union': int(sum(g['union']))})
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ''
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same double
    return str(value)


def write_referring_results_csv(rows: Iterable[Mapping[str, object]], path: str) -> str:
    """Write per-expression rows (:func:`per_expression_rows`) as a CSV, atomically.

    Columns :data:`REFERRING_CSV_COLUMNS`; ``None`` (no video, unknown triviality) is an
    empty field, floats are written exactly. Returns ``path``.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(REFERRING_CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in REFERRING_CSV_COLUMNS])
    write_text_atomic(buf.getvalue(), path)
    return path


_INT_COLUMNS = ('num_frames', 'intersection', 'union')
_FLOAT_COLUMNS = ('iou', 'mean_frame_iou')
_BOOL_VALUES = {'': None, 'True': True, 'False': False}


def _parse(path: str, line: int, column: str, text: str) -> object:
    """Typed value of one CSV field; errors name the file, line and column."""
    if column == 'video':
        return text or None
    if column == 'trivial':
        if text in _BOOL_VALUES:
            return _BOOL_VALUES[text]
        expected = "'True', 'False' or empty"
    elif column in _INT_COLUMNS:
        try:
            return int(text)
        except ValueError:
            expected = 'an integer'
    elif column in _FLOAT_COLUMNS:
        try:
            return float(text)
        except ValueError:
            expected = 'a number'
    else:
        return text
    raise FormatError(f'{path} line {line}: column {column!r} is {text!r}; expected '
                      f'{expected}')


def load_referring_results_csv(path: str) -> List[Dict[str, object]]:
    """Read a per-expression CSV written by ``ReferringMetric`` back into typed rows.

    Needs the columns ``expr_id, video, num_frames, iou, mean_frame_iou, trivial``;
    ``intersection`` / ``union`` are read when present, other columns are kept as text.
    """
    if not osp.isfile(path):
        raise MissingFileError(f'referring results CSV {path} not found')
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED_CSV_COLUMNS if c not in header]
        if missing:
            raise FormatError(
                f'{path} lacks column(s) {missing}; expected a header with '
                f'{", ".join(_REQUIRED_CSV_COLUMNS)} (got {header})')
        rows = []
        for line, raw in enumerate(reader, start=2):
            if None in raw:
                raise FormatError(f'{path} line {line} has more fields than the header')
            row = {}
            for column, text in raw.items():
                if text is None:
                    raise FormatError(f'{path} line {line} has fewer fields than the '
                                      f'header (no {column!r})')
                row[column] = (_parse(path, line, column, text)
                               if column in REFERRING_CSV_COLUMNS else text)
            rows.append(row)
    return rows


def quantize_foreground(prob: np.ndarray) -> np.ndarray:
    """Foreground probabilities as uint8: 0 where ``p <= 0.5``, else ``round(255 p)`` (>= 128).

    Keeps a referent's per-frame map at one byte a pixel while thresholding on the exact
    float, so ``q > 0`` is exactly ``p > 0.5`` (the 2-class argmax) and larger q is larger p.
    """
    prob = np.asarray(prob, dtype=np.float64)
    if prob.size and (np.isnan(prob).any() or prob.min() < 0 or prob.max() > 1):
        raise ValueError('foreground probabilities must lie in [0, 1]')
    q = np.clip(np.rint(prob * 255), 128, 255)
    return np.where(prob > 0.5, q, 0).astype(np.uint8)


def merge_object_probabilities(probs: np.ndarray, object_ids: Sequence[int]) -> np.ndarray:
    """One DAVIS index map from per-object quantized probabilities ``(N, H, W)`` uint8.

    A pixel takes the id of the object with the highest probability among those above 0.5
    (``q > 0``, see :func:`quantize_foreground`), 0 where none is; ties go to the object
    listed first. Needed because RefVOS segments each referent separately and the DAVIS
    protocol wants one non-overlapping map per frame.
    """
    probs = np.asarray(probs)
    ids = [int(i) for i in object_ids]
    if probs.ndim != 3 or probs.shape[0] != len(ids):
        raise ValueError(f'expected ({len(ids)}, H, W) probabilities for objects {ids}, got '
                         f'shape {probs.shape}')
    if probs.dtype != np.uint8:
        raise ValueError(f'expected uint8 probabilities from quantize_foreground, got '
                         f'{probs.dtype}')
    if len(set(ids)) != len(ids) or any(not 1 <= i <= 255 for i in ids):
        raise ValueError(f'object ids must be distinct and in 1..255, got {ids}')
    if not ids:
        raise ValueError('no object to merge')
    best = np.argmax(probs, axis=0)
    lut = np.asarray(ids, dtype=np.uint8)
    return np.where(probs.max(axis=0) > 0, lut[best], 0).astype(np.uint8)
