"""A2D-Sentences (Gavrilyuk et al., CVPR 2018) files: the video list, the sentences and the
per-frame h5 instance masks (the dataset is :class:`mmsegsup.datasets.A2DSentencesDataset`).

Layout read (defaults, relative to ``data_root``; the usual MTTR/ReferFormer arrangement)::

    Release/videoset.csv                       A2D video list, no header, 9 columns per row:
                                               vid, label, start_time, end_time, height, width,
                                               total_frames, annotated_frames, subset (0 train,
                                               1 test). Only ``vid`` and ``subset`` are read.
    Release/clips320H/<vid>.mp4                the videos (read only by the frame extractor)
    Release/pngs320H/<vid>/<NNNNN>.png         frames, 1-based numbers like the h5 files
                                               (``tools/dataset_converters/a2d_extract_frames.py``)
    text_annotations/a2d_annotation.txt        CSV with header ``video_id,instance_id,query``
    text_annotations/a2d_missed_videos.txt     optional, one video id per line, left out
    text_annotations/a2d_annotation_with_instances/<vid>/<NNNNN>.h5

Fields read from each h5 file (MATLAB v7.3, so arrays arrive transposed):
``instance`` (N,) instance ids (the ``instance_id`` of the sentences; 0 is a valid id),
``reMask`` (N, W, H), or (W, H) when N == 1, the instance masks transposed; ``id`` (1, N) the
A2D actor-action label of each instance, ``actor * 10 + action`` (``reBBox`` is not read).

Known errata of the official release, handled on purpose: one sentence row has instance id
``"1 (copy)"`` (video T6bNPuKV-wY) and is skipped with a warning, as all public loaders do;
a few h5 files hold more masks than instances (extra masks are ignored: instance ``i`` owns
mask ``i``); one lists an instance id twice (the first entry wins).

Bad files raise :class:`~mmsegsup.formats.errors.FormatError` naming the file (and line);
missing ones :class:`~mmsegsup.formats.errors.MissingFileError`.
"""
import csv
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

import h5py
import numpy as np
from mmengine.logging import print_log

from .errors import FormatError, MissingFileError
from .id_lists import read_id_list

__all__ = [
    'A2D_ACTORS', 'A2D_ACTIONS', 'A2D_SPLITS', 'A2DSentence', 'a2d_label_names',
    'read_a2d_videoset', 'read_a2d_sentences', 'read_missed_videos',
    'read_a2d_frame_instances', 'read_a2d_instance_mask', 'a2d_frame_number'
]

A2D_ACTORS = ('adult', 'baby', 'ball', 'bird', 'car', 'cat', 'dog')
A2D_ACTIONS = ('climbing', 'crawling', 'eating', 'flying', 'jumping', 'rolling', 'running',
               'walking', 'none')
A2D_SPLITS = {'train': 0, 'test': 1}
SENTENCES_HEADER = ['video_id', 'instance_id', 'query']
_COPY_ERRATUM = re.compile(r'^\d+ \(copy\)$')


class A2DSentence(NamedTuple):
    """One row of ``a2d_annotation.txt`` (``line`` is 1-based, the header is line 1)."""
    line: int
    video: str
    instance_id: int
    query: str


def a2d_label_names(label_id: int) -> Tuple[str, str]:
    """Split an A2D actor-action id (``actor * 10 + action``, e.g. 11 adult-climbing,
    79 dog-none) into its actor and action names."""
    actor, action = divmod(int(label_id), 10)
    if not (1 <= actor <= len(A2D_ACTORS) and 1 <= action <= len(A2D_ACTIONS)):
        raise ValueError(f'{label_id} is not an A2D actor-action id (actor 1-7 * 10 + '
                         f'action 1-9)')
    return A2D_ACTORS[actor - 1], A2D_ACTIONS[action - 1]


def read_a2d_videoset(path: str) -> Dict[str, int]:
    """``videoset.csv`` as ``{video: subset}`` in file order (subset 0 train, 1 test)."""
    if not osp.isfile(path):
        raise MissingFileError(f'A2D video list {path} not found (Release/videoset.csv)', path)
    videos: Dict[str, int] = {}
    with open(path, newline='') as f:
        for line, row in enumerate(csv.reader(f), 1):
            if not row or not ''.join(row).strip():
                continue
            if len(row) != 9:
                raise FormatError(f'{path}:{line}: expected 9 columns (vid, label, ..., '
                                  f'subset), got {len(row)}')
            subset = row[8].strip()
            if subset not in ('0', '1'):
                raise FormatError(f'{path}:{line}: subset column must be 0 (train) or '
                                  f'1 (test), got {subset!r}')
            videos[row[0].strip()] = int(subset)
    return videos


def read_a2d_sentences(path: str) -> List[A2DSentence]:
    """Rows of ``a2d_annotation.txt``; the known ``"<k> (copy)"`` erratum row is skipped."""
    if not osp.isfile(path):
        raise MissingFileError(f'A2D-Sentences annotation {path} not found '
                               f'(text_annotations/a2d_annotation.txt)', path)
    sentences = []
    with open(path, newline='', encoding='utf-8') as f:
        rows = csv.reader(f)
        header = [h.strip() for h in next(rows, [])]
        if header != SENTENCES_HEADER:
            raise FormatError(f'{path}:1: expected the header '
                              f'{",".join(SENTENCES_HEADER)}, got {",".join(header)!r}')
        for line, row in enumerate(rows, 2):
            if not row or not ''.join(row).strip():
                continue
            if len(row) != 3:
                raise FormatError(f'{path}:{line}: expected 3 fields (video_id, '
                                  f'instance_id, query), got {len(row)}; quote queries '
                                  f'that contain commas')
            video, instance, query = (v.strip() for v in row)
            if _COPY_ERRATUM.match(instance):
                print_log(f'{path}:{line}: skipping the known erratum row with instance id '
                          f'{instance!r} (video {video})', logger='current')
                continue
            if not instance.isdigit():
                raise FormatError(f'{path}:{line}: instance_id must be an integer, got '
                                  f'{instance!r}')
            if not query:
                raise FormatError(f'{path}:{line}: empty query for {video}/{instance}')
            sentences.append(A2DSentence(line, video, int(instance), query))
    return sentences


def read_missed_videos(path: Optional[str]) -> Set[str]:
    """Video ids listed in ``a2d_missed_videos.txt`` (empty when the file is absent)."""
    if not path or not osp.isfile(path):
        return set()
    return set(read_id_list(path, 'A2D missed-videos list'))


def _h5_field(f: h5py.File, path: str, name: str) -> np.ndarray:
    if name not in f:
        raise FormatError(f'{path}: field {name!r} missing (A2D-Sentences h5 files hold '
                          f'instance, reMask, id)')
    return np.asarray(f[name])


def _open_h5(path: str) -> h5py.File:
    if not osp.isfile(path):
        raise MissingFileError(f'A2D annotation {path} not found', path)
    try:
        return h5py.File(path, 'r')
    except OSError as e:
        raise FormatError(f'{path}: not a readable HDF5 file ({e})') from e


def read_a2d_frame_instances(path: str) -> Tuple[List[int], List[int]]:
    """Instance ids and their actor-action label ids in one annotated frame (no masks read)."""
    with _open_h5(path) as f:
        instances = [int(i) for i in _h5_field(f, path, 'instance').reshape(-1)]
        labels = [int(i) for i in _h5_field(f, path, 'id').reshape(-1)]
    if len(labels) < len(instances):
        raise FormatError(f'{path}: {len(instances)} instances but only {len(labels)} '
                          f'actor-action ids in field "id"')
    return instances, labels[:len(instances)]


def read_a2d_instance_mask(path: str, instance_id: int) -> np.ndarray:
    """The binary mask (uint8 HxW, image orientation) of ``instance_id`` in one A2D h5 file."""
    with _open_h5(path) as f:
        instances = [int(i) for i in _h5_field(f, path, 'instance').reshape(-1)]
        if int(instance_id) not in instances:
            raise FormatError(f'{path}: instance {instance_id} not annotated in this '
                              f'frame (instances: {instances})')
        k = instances.index(int(instance_id))
        masks = _h5_field(f, path, 'reMask')
    if masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3 or masks.shape[0] <= k:
        raise FormatError(f'{path}: reMask of shape {masks.shape} has no mask for '
                          f'instance {instance_id} (position {k} of {len(instances)})')
    return np.ascontiguousarray(masks[k].T > 0).astype(np.uint8)


def a2d_frame_number(path: str) -> int:
    """The 1-based frame number an A2D annotation file is named for (``00025.h5`` -> 25)."""
    stem = osp.splitext(osp.basename(path))[0]
    if not stem.isdigit():
        raise FormatError(f'{path}: A2D annotation files are named <frame number>.h5 '
                          f'(e.g. 00025.h5)')
    return int(stem)
