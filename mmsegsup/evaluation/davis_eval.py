"""DAVIS-2017 video object segmentation evaluation (J, F, J&F) equal to the official code.

Scores a results folder against a DAVIS-layout root exactly as ``evaluation_method.py`` of
github.com/davisvideochallenge/davis2017-evaluation (``davis2017/davis.py``, ``results.py``,
``evaluation.py``, ``utils.py``) does, with its protocol:

* ground-truth objects of a sequence are ids ``1..max(first annotation)`` (255 = void is
  background there); ids that only appear later are background, as in ``DAVIS.get_all_masks``;
* semi-supervised: the first and the last frame are not evaluated (``[1:-1]``), result ids
  ``1..N`` are the objects, a missing id is an empty mask, and void pixels are *not* excluded
  (the official code passes ``void_pixels=None`` for this task, so 255 counts as background);
* unsupervised (annotations from ``Annotations_unsupervised``): every frame is evaluated, void
  pixels are excluded, up to 20 proposals are matched one-to-one to the ground-truth objects by
  a Hungarian assignment on the whole-sequence ``(mean J + mean F) / 2``; the per-object rows
  are ordered by proposal id, as ``linear_sum_assignment`` returns them;
* per object: mean / recall / decay of the per-frame J and F (``davis_statistics``); global
  values are means over all objects of all sequences (``J`` with ``nanmean``, ``F`` with
  ``mean``) and ``J&F-Mean = (J-Mean + F-Mean) / 2``;
* ``global_results-<split>.csv`` and ``per-sequence_results-<split>.csv`` have the official
  columns and ``%.3f`` numbers; rows of the latter are ``<sequence>_<k>``.

Where the official script stops with a message or a traceback (a missing result frame, an id
the ground truth does not have, frames of different size, an RGB PNG), this module raises
:class:`DavisFileNotFoundError` or :class:`DavisFormatError` naming the file. Other deliberate
differences: the split file is only needed when no sequence names are given, and the decay bin
edges are int64 (the official uint8 cast would wrap for sequences over 256 evaluated frames;
every DAVIS sequence is shorter, so the values are equal there).
"""
from __future__ import annotations

import functools
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar
from scipy.optimize import linear_sum_assignment

from ..formats.davis_layout import (ANNOTATION_FOLDERS, DavisLayout, check_frames_annotated,
                                    list_annotations, list_frames)
from ..formats.errors import DavisFileNotFoundError, DavisFormatError
from ..formats.index_png import read_index_png as formats_read_index_png
from ..utils.parallel import ordered_map
from .functional.davis_metrics import (boundary_radius, davis_statistics, f_from_counts,
                                       frame_pair_counts)
from .tables import (csv_field, csv_number, global_table, table_number, text_table,
                     write_result_csvs)

__all__ = [
    'TASKS', 'VOID_LABEL', 'MAX_PROPOSALS', 'GLOBAL_COLUMNS', 'PER_SEQUENCE_COLUMNS',
    'DavisSequence', 'read_index_png',
    'list_davis_sequences', 'load_annotations', 'load_results', 'evaluate_sequence',
    'evaluate_davis', 'write_davis_csvs', 'format_davis_tables'
]

TASKS = ('semi-supervised', 'unsupervised')
VOID_LABEL = 255
MAX_PROPOSALS = 20  # official ``_evaluate_unsupervised(max_n_proposals=20)``
GLOBAL_COLUMNS = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay')
PER_SEQUENCE_COLUMNS = ('Sequence', 'J-Mean', 'F-Mean')
_OBJECT_STATS = ('J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay')


@dataclass(frozen=True)
class DavisSequence:
    """One ground-truth sequence: its frame ids (annotation PNG stems, sorted) and paths."""
    name: str
    frame_ids: Tuple[str, ...]
    annotation_paths: Tuple[str, ...]


def read_index_png(path: str, what: str = 'annotation') -> np.ndarray:
    """Object-id map ``(H, W)`` uint8 of a palette ('P') or 8-bit grey ('L') PNG; other modes
    (RGB colour masks, 16-bit, ...) would give colours or wrong ids and raise, naming the file."""
    return formats_read_index_png(path, what, 'object ids (0 background, 255 void)',
                                  error=DavisFormatError, missing=DavisFileNotFoundError)


def list_davis_sequences(davis_root: str, task: str = 'semi-supervised', split: str = 'val',
                         sequences: Optional[Sequence[str]] = None,
                         resolution: str = '480p') -> List[DavisSequence]:
    """Sequences of ``split`` (or the given names) with their annotated frames.

    Folders as official ``DAVIS`` (:mod:`mmsegsup.formats.davis_layout`): ``Annotations`` for
    the semi-supervised and ``Annotations_unsupervised`` for the unsupervised task,
    ``ImageSets/2017/<split>.txt`` (``2019`` for unsupervised test-dev / test-challenge).
    Frames are the sorted annotation PNGs; every JPEG frame must have one.
    """
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    if not osp.isdir(davis_root):
        raise DavisFileNotFoundError(f'DAVIS root {davis_root} not found (expected a folder '
                                     f'with JPEGImages/, Annotations/ and ImageSets/)')
    layout = DavisLayout(davis_root, resolution, ANNOTATION_FOLDERS[task])
    year = '2019' if task == 'unsupervised' and split in ('test-dev', 'test-challenge') else '2017'
    if sequences is None:
        sequences = layout.read_split(year, split)
        if not sequences:
            raise DavisFormatError(f'split file {layout.split_file(year, split)} lists no '
                                   'sequence')
    elif isinstance(sequences, str):
        sequences = [sequences]
    sequences = list(dict.fromkeys(sequences))  # official keeps them in a dict: no repeats
    if not sequences:
        raise ValueError('no sequence to evaluate')
    if not osp.isdir(layout.annotations_dir()):
        raise DavisFileNotFoundError(f'annotation folder {layout.annotations_dir()} for the '
                                     f'{task} task not found')
    return [_read_sequence(layout, name, task) for name in sequences]


def _read_sequence(layout: DavisLayout, name: str, task: str) -> DavisSequence:
    """One sequence's annotated frames, checked: every JPEG frame annotated, enough frames."""
    img_dir, ann_dir = layout.frames_dir(name), layout.annotations_dir(name)
    images = list_frames(img_dir, name, ('.jpg', ))
    frame_ids = list_annotations(ann_dir, name)
    check_frames_annotated(img_dir, images, ann_dir, frame_ids)
    min_frames = 3 if task == 'semi-supervised' else 1
    if len(frame_ids) < min_frames:
        raise DavisFormatError(
            f'empty video: {ann_dir} has {len(frame_ids)} annotated frame(s); the {task} '
            f'protocol needs at least {min_frames}' + (' (the first and the last frame are '
                                                       'not evaluated)' if min_frames == 3 else ''))
    return DavisSequence(name, tuple(frame_ids),
                         tuple(osp.join(ann_dir, f'{fid}.png') for fid in frame_ids))


def _size_error(path: str, shape: Tuple[int, int], ref: str, ref_shape: Tuple[int, int],
                what: str) -> DavisFormatError:
    return DavisFormatError(f'{what} {path} is {shape[1]}x{shape[0]} (WxH) but {ref} is '
                            f'{ref_shape[1]}x{ref_shape[0]}; every frame of a sequence must have '
                            f'the size of its annotations')


def load_annotations(seq: DavisSequence) -> np.ndarray:
    """Ground-truth id maps ``(T, H, W)`` uint8 of every frame, checked for equal sizes."""
    first = read_index_png(seq.annotation_paths[0])
    out = np.empty((len(seq.annotation_paths), *first.shape), dtype=np.uint8)
    out[0] = first
    for i, path in enumerate(seq.annotation_paths[1:], start=1):
        ann = read_index_png(path)
        if ann.shape != first.shape:
            raise _size_error(path, ann.shape, seq.annotation_paths[0], first.shape, 'annotation')
        out[i] = ann
    return out


def load_results(results_dir: str, seq: DavisSequence, frame_ids: Sequence[str],
                 shape: Tuple[int, int]) -> Tuple[np.ndarray, List[str]]:
    """Result id maps ``(T, H, W)`` uint8 of ``<results_dir>/<seq>/<frame>.png`` and their paths.

    Like official ``Results.read_masks`` only the evaluated frames are read; each must exist
    and have the annotation size.
    """
    seq_dir = osp.join(results_dir, seq.name)
    if not osp.isdir(seq_dir):
        raise DavisFileNotFoundError(f'results of sequence {seq.name!r} not found: expected '
                                     f'indexed PNGs <frame>.png in {seq_dir}')
    out = np.empty((len(frame_ids), *shape), dtype=np.uint8)
    paths = []
    for i, fid in enumerate(frame_ids):
        path = osp.join(seq_dir, f'{fid}.png')
        if not osp.isfile(path):
            raise DavisFileNotFoundError(f'result frame {path} not found: the {seq.name!r} results '
                                         f'need one indexed PNG per evaluated frame')
        res = read_index_png(path, what='result')
        if res.shape != tuple(shape):
            raise _size_error(path, res.shape, seq.annotation_paths[0], shape, 'result')
        out[i] = res
        paths.append(path)
    return out, paths


def _pairwise_jf(gt: np.ndarray, res: np.ndarray, n_gt: int, n_res: int, bound_th: float,
                 pairwise: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame J and F of result ids ``1..n_res`` against ground-truth ids ``1..n_gt``.

    Other ids of ``gt`` (void, later objects) are background; void pixels to be left out must
    already be 0 in both maps. The integer counts come from :func:`frame_pair_counts`, J and
    F from them with the official float formulas. Shapes: ``(n_res, n_gt, T)`` if
    ``pairwise`` else ``(n_gt, T)`` with result id k against object k.
    """
    n_frames = gt.shape[0]
    radius = boundary_radius(gt.shape[-2:], bound_th)
    if pairwise:
        res_ids = np.repeat(np.arange(1, n_res + 1), n_gt)
        gt_ids = np.tile(np.arange(1, n_gt + 1), n_res)
    else:
        res_ids = gt_ids = np.arange(1, n_gt + 1)
    counts = np.zeros((6, len(res_ids), n_frames), dtype=np.int64)
    for t in range(n_frames):
        counts[:, :, t] = frame_pair_counts(gt[t], res[t], res_ids, gt_ids, radius)
    inter, union = counts[0], counts[1]
    with np.errstate(divide='ignore', invalid='ignore'):
        j = np.where(union == 0, 1.0, inter / union)
    f = f_from_counts(*counts[2:])
    if pairwise:
        shape = (n_res, n_gt, n_frames)
        return np.ascontiguousarray(j.reshape(shape)), np.ascontiguousarray(f.reshape(shape))
    return j, f


def evaluate_sequence(gt: np.ndarray, res: np.ndarray, num_objects: int,
                      task: str = 'semi-supervised',
                      bound_th: float = 0.008) -> Dict[str, np.ndarray]:
    """Per-frame J and F ``(num_objects, T)`` of one sequence, in the official row order.

    ``gt`` / ``res``: ``(T, H, W)`` id maps of the evaluated frames; ``num_objects``: the
    maximum id of the first annotation (void excluded). Semi-supervised: row k is result id
    k+1 against object k+1, void counts as background (``object`` = 1..N). Unsupervised: void
    is excluded, the result ids (zero-padded up to N, as official) are matched to the objects
    by ``linear_sum_assignment`` on ``-(mean J + mean F) / 2`` and rows follow the matched
    proposal ids (``proposal``), each with its ground-truth ``object``. Result ids above N
    (resp. 20) raise ``ValueError``; :func:`evaluate_davis` names the file first.
    """
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    gt = np.asarray(gt)
    if gt.dtype != np.uint8:
        if gt.size and (gt.min() < 0 or gt.max() > 255):
            raise ValueError('ground-truth ids must be 0..255 (uint8 id maps)')
        gt = gt.astype(np.uint8)
    res = np.asarray(res, dtype=np.uint8)
    if gt.shape != res.shape or gt.ndim != 3:
        raise ValueError(f'ground truth {gt.shape} and results {res.shape} must both be (T, H, W)')
    res_max = int(res.max()) if res.size else 0
    limit = num_objects if task == 'semi-supervised' else MAX_PROPOSALS
    if res_max > limit:
        raise ValueError(f'result id {res_max} exceeds the {task} limit {limit}')
    # Void (255) and ids that first appear after the first frame are background (only ids
    # 1..N are scored); the unsupervised task also leaves void pixels out of the results.
    if task == 'semi-supervised':
        j, f = _pairwise_jf(gt, res, num_objects, num_objects, bound_th, pairwise=False)
        return {'J': j, 'F': f, 'object': np.arange(1, num_objects + 1)}
    void = gt == VOID_LABEL
    if void.any():
        res = np.where(void, 0, res).astype(np.uint8)
    n_res = max(res_max, num_objects)
    j, f = _pairwise_jf(gt, res, num_objects, n_res, bound_th, pairwise=True)
    score = (np.mean(j, axis=2) + np.mean(f, axis=2)) / 2
    rows, cols = linear_sum_assignment(-score)
    return {'J': j[rows, cols, :], 'F': f[rows, cols, :], 'object': cols + 1,
            'proposal': rows + 1}


def _check_result_ids(res: np.ndarray, paths: Sequence[str], num_objects: int, task: str,
                      seq: DavisSequence) -> None:
    """Official checks on result ids, raised with the first offending file."""
    limit = num_objects if task == 'semi-supervised' else MAX_PROPOSALS
    maxima = res.reshape(res.shape[0], -1).max(axis=1)
    bad = np.flatnonzero(maxima > limit)
    if bad.size == 0:
        return
    path = paths[int(bad[0])]
    ids = np.unique(res[int(bad[0])])
    ids = [int(i) for i in ids[ids > limit]]
    if task == 'semi-supervised':
        raise DavisFormatError(
            f'result {path} has object id(s) {ids} that the ground truth does not have: the '
            f'first annotation {seq.annotation_paths[0]} has objects 1..{num_objects}')
    raise DavisFormatError(
        f'result {path} has id(s) {ids}: the unsupervised task allows at most '
        f'{MAX_PROPOSALS} proposals, ids 1..{MAX_PROPOSALS}')


def _object_mean(values: Sequence[float], nan_aware: bool) -> float:
    """Mean over objects: official ``np.nanmean`` for J, ``np.mean`` for F."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        return float((np.nanmean if nan_aware else np.mean)(np.asarray(values, dtype=np.float64)))


def _score_sequence(seq: DavisSequence, results_dir: str, task: str,
                    bound_th: float) -> Tuple[Dict[str, np.ndarray], int]:
    """Read, check and score one sequence; returns :func:`evaluate_sequence`'s output."""
    gt = load_annotations(seq)
    first = gt[0]
    num_objects = int(first[first != VOID_LABEL].max(initial=0))
    frames = slice(1, -1) if task == 'semi-supervised' else slice(None)
    frame_ids = seq.frame_ids[frames]
    res, paths = load_results(results_dir, seq, frame_ids, first.shape)
    _check_result_ids(res, paths, num_objects, task, seq)
    return evaluate_sequence(gt[frames], res, num_objects, task, bound_th), len(frame_ids)


def _collect(name: str, out: Dict[str, np.ndarray], n_frames: int,
             per_object: List[Dict[str, object]]) -> None:
    """Append one row per object (official ``<seq>_<k>`` naming) with its statistics."""
    for i in range(out['J'].shape[0]):
        row: Dict[str, object] = {'Sequence': f'{name}_{i + 1}', 'sequence': name,
                                  'object': int(out['object'][i])}
        if 'proposal' in out:
            row['proposal'] = int(out['proposal'][i])
        jm, jr, jd = davis_statistics(out['J'][i])
        fm, fr, fd = davis_statistics(out['F'][i])
        row.update(zip(_OBJECT_STATS, (jm, jr, jd, fm, fr, fd)))
        row['num_frames'] = n_frames
        per_object.append(row)


def evaluate_davis(davis_root: str, results_dir: str, task: str = 'semi-supervised',
                   split: str = 'val', sequences: Optional[Sequence[str]] = None,
                   resolution: str = '480p', bound_th: float = 0.008,
                   progress: bool = True, workers: Optional[int] = None) -> Dict[str, object]:
    """Evaluate ``results_dir`` against a DAVIS-layout root as the official DAVIS-2017 code.

    Returns the global measures (keys of :data:`GLOBAL_COLUMNS`), ``per_object``: one dict
    per object (``Sequence`` = ``<seq>_<k>`` as in the per-sequence CSV, ``sequence``,
    ``object``, ``proposal`` for unsupervised, the six mean/recall/decay values and
    ``num_frames``), ``per_frame``: ``{seq: {'J': (N, T), 'F': (N, T)}}``, and the counts
    ``num_sequences`` / ``num_objects`` / ``num_frames`` (evaluated frames).

    ``workers``: processes scoring sequences side by side (None: the available cores; 0 or 1:
    none); the results are the same for any count.
    """
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    seqs = list_davis_sequences(davis_root, task, split, sequences, resolution)
    if not osp.isdir(results_dir):
        raise DavisFileNotFoundError(f'results folder {results_dir} not found (expected '
                                     f'<results>/<sequence>/<frame>.png)')
    bar = ProgressBar(len(seqs)) if progress else None
    per_object: List[Dict[str, object]] = []
    per_frame: Dict[str, Dict[str, np.ndarray]] = {}
    num_frames = 0
    score = functools.partial(_score_sequence, results_dir=results_dir, task=task,
                              bound_th=bound_th)
    for seq, (out, n_frames) in zip(seqs, ordered_map(score, seqs, workers)):
        _collect(seq.name, out, n_frames, per_object)
        per_frame[seq.name] = {'J': out['J'], 'F': out['F']}
        num_frames += n_frames
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.file.write('\n')
        bar.file.flush()
    col = {k: [r[k] for r in per_object] for k in _OBJECT_STATS}
    j_mean = _object_mean(col['J-Mean'], True)
    f_mean = _object_mean(col['F-Mean'], False)
    result: Dict[str, object] = {
        'J&F-Mean': (j_mean + f_mean) / 2,
        'J-Mean': j_mean,
        'J-Recall': _object_mean(col['J-Recall'], True),
        'J-Decay': _object_mean(col['J-Decay'], True),
        'F-Mean': f_mean,
        'F-Recall': _object_mean(col['F-Recall'], False),
        'F-Decay': _object_mean(col['F-Decay'], False),
    }
    result.update(task=task, split=split, per_object=per_object, per_frame=per_frame,
                  num_sequences=len(seqs), num_objects=len(per_object), num_frames=num_frames)
    return result


def write_davis_csvs(result: Dict[str, object], out_dir: str,
                     split: Optional[str] = None) -> Tuple[str, str]:
    """Write ``global_results-<split>.csv`` and ``per-sequence_results-<split>.csv`` atomically.

    Columns and number format as official ``evaluation_method.py``; returns both paths.
    """
    rows = [(csv_field(str(row['Sequence'])), csv_number(row['J-Mean']),
             csv_number(row['F-Mean'])) for row in result['per_object']]
    return write_result_csvs(result, out_dir, split, GLOBAL_COLUMNS, 'per-sequence',
                             PER_SEQUENCE_COLUMNS, rows)


def format_davis_tables(result: Dict[str, object], per_sequence: bool = True) -> str:
    """The global (and per-sequence) results as printed by the official script, 3 decimals."""
    split = result['split']
    text = global_table(result, GLOBAL_COLUMNS, f'--------------------------- Global results '
                        f'for {split} ---------------------------')
    if per_sequence:
        rows = [[str(r['Sequence']), table_number(r['J-Mean']), table_number(r['F-Mean'])]
                for r in result['per_object']]
        text += ['', f'---------- Per sequence results for {split} ----------',
                 text_table(PER_SEQUENCE_COLUMNS, rows)]
    return '\n'.join(text)
