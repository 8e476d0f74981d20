"""YouTube-VOS 2018/2019 evaluation: J and F of seen and unseen categories, and Overall.

The ground truth of ``valid`` / ``test`` is hidden behind the challenge server, so local
numbers come from a split folder with full annotations (a held-out part of ``train``). The
protocol is the one of the YouTube-VOS paper that the server implements:

* layout: ``<root>/<split>/Annotations/<video>/<frame>.png`` (object ids, 0 background),
  ``<root>/<split>/meta.json`` (per object: ``category`` and the ``frames`` where it is
  annotated, the earliest being its first appearance, where its mask is given);
* an object is scored on every annotated frame of its video strictly after its first
  appearance, up to and including the last one (unlike DAVIS, the last frame counts); frames
  where the object has left the scene count too (empty ground truth). An object with no such
  frame is skipped and reported in ``skipped``;
* per frame: J = region IoU (both empty -> 1) and F = the DAVIS boundary F-measure
  (``bound_th`` 0.008 of the frame diagonal), from :mod:`.functional.davis_metrics`;
  per object: the means over its frames;
* an object is *seen* when its category is in the seen set (given, or the categories of a
  training ``meta.json``), else *unseen*; ``J_seen`` ... ``F_unseen`` are means over the
  objects of a group (NaN when it is empty) and ``Overall`` the mean of the non-NaN ones.

Results follow the submission layout ``<results>/<video>/<frame>.png`` (palette or grey PNGs,
pixel values = object ids); only the frames that are scored are read (and required).
"""
from __future__ import annotations

import functools
import math
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from ..formats.davis_layout import list_annotations
from ..formats.errors import DavisFileNotFoundError, DavisFormatError
from ..formats.youtube_vos_meta import Meta, load_youtube_vos_meta
from ..utils.parallel import ordered_map
from .davis_eval import read_index_png
from .functional.davis_metrics import boundary_radius, f_from_counts, frame_pair_counts
from .tables import (csv_field, csv_number, global_table, table_number, text_table,
                     write_result_csvs)

__all__ = [
    'GLOBAL_COLUMNS', 'PER_OBJECT_COLUMNS', 'seen_categories_from_meta',
    'scored_frames', 'evaluate_youtube_vos', 'write_youtube_vos_csvs', 'format_youtube_vos_table'
]

GLOBAL_COLUMNS = ('Overall', 'J_seen', 'J_unseen', 'F_seen', 'F_unseen')
PER_OBJECT_COLUMNS = ('Video', 'Object', 'Category', 'Seen', 'J', 'F', 'Frames')
_GROUP_KEYS = GLOBAL_COLUMNS[1:]

def seen_categories_from_meta(train_meta_path: str,
                              exclude_videos: Iterable[str] = ()) -> Set[str]:
    """Categories of the objects of a training ``meta.json``, minus ``exclude_videos``.

    Excluding the evaluated videos makes a held-out part of ``train`` scored against the
    categories of the remaining (training) videos only; for ``valid`` against ``train`` the
    video names differ and nothing is excluded.
    """
    exclude = set(exclude_videos)
    return {obj['category'] for video, objects in load_youtube_vos_meta(train_meta_path).items()
            if video not in exclude for obj in objects.values()}


def _resolve_seen(seen_categories: Optional[Iterable[str]], train_meta: Optional[str],
                  videos: Sequence[str]) -> Set[str]:
    """The seen set: exactly one of an explicit list or a training meta must be given."""
    if (seen_categories is None) == (train_meta is None):
        raise ValueError('give exactly one of seen_categories (the training categories) or '
                         'train_meta (a training meta.json whose categories are the seen ones)')
    if train_meta is not None:
        return seen_categories_from_meta(train_meta, exclude_videos=videos)
    if isinstance(seen_categories, str):
        raise TypeError('seen_categories must be an iterable of category names, not a string')
    return set(seen_categories)


# ----------------------------------------------------------------------------------- scoring

def _list_annotations(split_dir: str, video: str) -> List[str]:
    """Sorted frame names of the ground-truth PNGs of one video (names sort in time order)."""
    ann_dir = osp.join(split_dir, 'Annotations', video)
    frames = list_annotations(ann_dir, video)
    if not frames:
        raise DavisFormatError(f'empty video: {ann_dir} holds no annotation PNG')
    return frames


def scored_frames(annotated: Sequence[str], object_frames: Sequence[str]) -> List[str]:
    """Annotated frames strictly after the object's first appearance, to the end of the video.

    The first appearance is the earliest of the meta ``frames`` (its mask is the given one, so
    it is not scored); frame names are compared as strings, which is time order for the
    zero-padded YouTube-VOS names.
    """
    first = min(object_frames)
    return [f for f in annotated if f > first]


def _read_frame(split_dir: str, results_dir: str, video: str, frame: str,
                allowed: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Ground truth and result id maps of one frame, with the submission checks."""
    gt_path = osp.join(split_dir, 'Annotations', video, f'{frame}.png')
    res_path = osp.join(results_dir, video, f'{frame}.png')
    gt = read_index_png(gt_path)
    if not osp.isfile(res_path):
        raise DavisFileNotFoundError(
            f'result frame {res_path} not found: every annotated frame after an object\'s '
            f'first appearance needs a result PNG (<results>/<video>/<frame>.png)')
    res = read_index_png(res_path, what='result')
    if res.shape != gt.shape:
        raise DavisFormatError(f'result {res_path} is {res.shape[1]}x{res.shape[0]} (WxH) but '
                               f'its annotation {gt_path} is {gt.shape[1]}x{gt.shape[0]}')
    present = np.flatnonzero(np.bincount(res.ravel(), minlength=256))
    bad = [int(i) for i in present if not allowed[i]]
    if bad:
        known = [int(i) for i in np.flatnonzero(allowed) if i]
        raise DavisFormatError(f'result {res_path} has object id(s) {bad} that video {video!r} '
                               f'does not have (meta.json objects: {known}; 0 is background)')
    return gt, res


def _frame_scores(gt: np.ndarray, res: np.ndarray, ids: List[int],
                  bound_th: float) -> Tuple[np.ndarray, np.ndarray]:
    """J and F of objects ``ids`` in one frame, all at once (:func:`frame_pair_counts`);
    both-empty gives J = F = 1, as DAVIS."""
    counts = frame_pair_counts(gt, res, ids, ids, boundary_radius(gt.shape, bound_th))
    inter, union = counts[0], counts[1]
    with np.errstate(divide='ignore', invalid='ignore'):
        j = np.where(union == 0, 1.0, inter / union)
    return j, f_from_counts(*counts[2:])


def _score_video(item: Tuple[str, Dict[str, dict]], split_dir: str, results_dir: str,
                 bound_th: float) -> Tuple[Dict[int, dict], List[int], int]:
    """Per-frame J/F of the scorable objects of one video ``item = (name, meta objects)``,
    the skipped ids and the number of frames read."""
    video, objects = item
    annotated = _list_annotations(split_dir, video)
    frames = {int(k): scored_frames(annotated, o['frames']) for k, o in objects.items()}
    skipped = sorted(k for k, f in frames.items() if not f)
    frames = {k: f for k, f in frames.items() if f}
    needed = sorted(set().union(*frames.values())) if frames else []
    allowed = np.zeros(256, dtype=bool)
    allowed[[0, *map(int, objects)]] = True
    out = {k: {'frames': f, 'J': [], 'F': []} for k, f in sorted(frames.items())}
    members = {k: set(f) for k, f in frames.items()}
    for frame in needed:
        gt, res = _read_frame(split_dir, results_dir, video, frame, allowed)
        ids = [k for k in out if frame in members[k]]
        j, f = _frame_scores(gt, res, ids, bound_th)
        for k, jk, fk in zip(ids, j, f):
            out[k]['J'].append(float(jk))
            out[k]['F'].append(float(fk))
    for scores in out.values():
        scores['J'] = np.asarray(scores['J'], dtype=np.float64)
        scores['F'] = np.asarray(scores['F'], dtype=np.float64)
    return out, skipped, len(needed)


def _group_mean(rows: List[dict], key: str, seen: bool) -> float:
    """Mean of ``key`` over the seen (or unseen) objects; NaN for an empty group."""
    values = [r[key] for r in rows if r['seen'] == seen]
    return float(np.mean(values)) if values else math.nan


def _summary(rows: List[dict]) -> Dict[str, float]:
    """The four group means and ``Overall``, the mean of those that are not NaN."""
    out = {f'{m}_{g}': _group_mean(rows, m, g == 'seen') for g in ('seen', 'unseen')
           for m in ('J', 'F')}
    available = [out[k] for k in _GROUP_KEYS if not math.isnan(out[k])]
    out['Overall'] = float(np.mean(available)) if available else math.nan
    return {k: out[k] for k in GLOBAL_COLUMNS}


def _select_videos(meta: Meta, videos: Optional[Sequence[str]], meta_path: str) -> List[str]:
    """The videos to score: all of the meta (sorted) or the given ones, each in the meta."""
    if videos is None:
        return sorted(meta)
    if isinstance(videos, str):
        videos = [videos]
    videos = list(dict.fromkeys(videos))
    missing = [v for v in videos if v not in meta]
    if missing:
        raise ValueError(f'video(s) {missing[:5]} not in {meta_path}'
                         + (f' (and {len(missing) - 5} more)' if len(missing) > 5 else ''))
    if not videos:
        raise ValueError('no video to evaluate')
    return videos


def evaluate_youtube_vos(gt_root: str, results_dir: str, split: str = 'train',
                         seen_categories: Optional[Iterable[str]] = None,
                         train_meta: Optional[str] = None,
                         videos: Optional[Sequence[str]] = None, progress: bool = False,
                         bound_th: float = 0.008,
                         workers: Optional[int] = None) -> Dict[str, object]:
    """Score ``results_dir`` against ``<gt_root>/<split>`` with the YouTube-VOS protocol.

    ``videos`` restricts the evaluation (e.g. to the held-out part of ``train``; default: all
    videos of the split's meta.json). The seen set is ``seen_categories`` or the categories of
    ``train_meta`` outside the evaluated videos (exactly one of the two). Returns
    :data:`GLOBAL_COLUMNS`, ``per_object`` rows (``video``, ``object``, ``category``, ``seen``,
    ``J``, ``F``, ``num_frames``), ``per_frame`` (``{video: {id: {'frames', 'J', 'F'}}}``),
    ``skipped`` (objects with nothing to score), ``split`` and the counts ``num_videos``,
    ``num_objects``, ``num_frames`` (result frames read). ``workers``: processes scoring
    videos side by side (None: the available cores; 0 or 1: none), same results for any count.
    """
    split_dir = osp.join(gt_root, split)
    if not osp.isdir(split_dir):
        raise DavisFileNotFoundError(f'split folder {split_dir} not found (expected '
                                     f'<gt_root>/<split>/ with Annotations/ and meta.json)')
    meta_path = osp.join(split_dir, 'meta.json')
    meta = load_youtube_vos_meta(meta_path)
    names = _select_videos(meta, videos, meta_path)
    seen = _resolve_seen(seen_categories, train_meta, names)
    if not osp.isdir(results_dir):
        raise DavisFileNotFoundError(f'results folder {results_dir} not found (expected '
                                     f'<results>/<video>/<frame>.png)')
    bar = ProgressBar(len(names)) if progress else None
    rows: List[dict] = []
    skipped: List[dict] = []
    per_frame: Dict[str, Dict[int, dict]] = {}
    num_frames = 0
    score = functools.partial(_score_video, split_dir=split_dir, results_dir=results_dir,
                              bound_th=bound_th)
    scored = ordered_map(score, [(video, meta[video]) for video in names], workers)
    for video, (out, skip, n_read) in zip(names, scored):
        objects = meta[video]
        num_frames += n_read
        per_frame[video] = out
        for k, scores in out.items():
            category = objects[str(k)]['category']
            rows.append({'video': video, 'object': k, 'category': category,
                         'seen': category in seen, 'J': float(np.mean(scores['J'])),
                         'F': float(np.mean(scores['F'])), 'num_frames': len(scores['J'])})
        skipped += [{'video': video, 'object': k, 'category': objects[str(k)]['category'],
                     'first_frame': min(objects[str(k)]['frames'])} for k in skip]
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.file.write('\n')
        bar.file.flush()
    result: Dict[str, object] = dict(_summary(rows))
    result.update(split=split, per_object=rows, per_frame=per_frame, skipped=skipped,
                  num_videos=len(names), num_objects=len(rows), num_frames=num_frames)
    return result


# ----------------------------------------------------------------------------------- outputs

def write_youtube_vos_csvs(result: Dict[str, object], out_dir: str,
                           split: Optional[str] = None) -> Tuple[str, str]:
    """Write ``global_results-<split>.csv`` and ``per-object_results-<split>.csv`` atomically.

    ``%.3f`` numbers (NaN as an empty field, as the DAVIS CSVs); ``Seen`` is 1 or 0.
    Returns both paths.
    """
    rows = [(csv_field(row['video']), str(row['object']), csv_field(row['category']),
             str(int(row['seen'])), csv_number(row['J']), csv_number(row['F']),
             str(row['num_frames'])) for row in result['per_object']]
    return write_result_csvs(result, out_dir, split, GLOBAL_COLUMNS, 'per-object',
                             PER_OBJECT_COLUMNS, rows)


def format_youtube_vos_table(result: Dict[str, object], per_object: bool = False) -> str:
    """The global results (and optionally one row per object), 3 decimals, for the console."""
    rows = result['per_object']
    n_seen = sum(1 for r in rows if r['seen'])
    text = global_table(result, GLOBAL_COLUMNS, f'------------------ Global results for '
                        f'{result["split"]} ------------------')
    text.append(f'{len(rows)} objects ({n_seen} seen, {len(rows) - n_seen} unseen) in '
                f'{result["num_videos"]} videos, {result["num_frames"]} frames')
    skipped = result['skipped']
    if skipped:
        names = ', '.join(f'{s["video"]}/{s["object"]}' for s in skipped[:10])
        more = f' and {len(skipped) - 10} more' if len(skipped) > 10 else ''
        text.append(f'skipped {len(skipped)} object(s) with no annotated frame after their '
                    f'first appearance: {names}{more}')
    if per_object:
        table = [[r['video'], str(r['object']), r['category'], 'yes' if r['seen'] else 'no',
                  table_number(r['J']), table_number(r['F']), str(r['num_frames'])]
                 for r in rows]
        text += ['', f'---------- Per object results for {result["split"]} ----------',
                 text_table(PER_OBJECT_COLUMNS, table)]
    return '\n'.join(text)
