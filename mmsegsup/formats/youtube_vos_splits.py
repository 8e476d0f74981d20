"""Video lists of YouTube-VOS: one video name a line, ``<split>/splits/<name>.txt`` beside the
split's ``meta.json``; the dataset's ``video_list`` reads one. Written from a seeded ratio
split (:func:`write_youtube_vos_split`) or from a published partition given as meta.json-format
files (:func:`write_youtube_vos_partition`); every listed video must be in the split's
meta.json, else :class:`~mmsegsup.formats.errors.FormatError` names the list."""
import os.path as osp
from typing import Iterable, List, Mapping, Sequence, Tuple

import numpy as np

from ..utils.io import write_text_atomic
from .errors import FormatError
from .id_lists import read_id_list
from .youtube_vos_meta import load_youtube_vos_meta

__all__ = ['split_youtube_vos', 'write_youtube_vos_split', 'write_youtube_vos_partition',
           'read_video_list']


def _check_known(path: str, names: Iterable[str], meta: Mapping, split: str) -> None:
    unknown = [n for n in names if n not in meta]
    if unknown:
        raise FormatError(f'{path}: video {unknown[0]!r} is not in the meta.json of split '
                          f'{split!r}', path)


def read_video_list(path: str, meta: Mapping, split: str) -> List[str]:
    """The videos of the list file ``path``, each checked to be in ``meta`` (the meta.json of
    ``split``)."""
    names = read_id_list(path, 'video list (one video name per line)')
    _check_known(path, names, meta, split)
    return names


def split_youtube_vos(videos: Sequence[str], ratio: float = 0.8,
                      seed: int = 0) -> Tuple[List[str], List[str]]:
    """Random video-level split (the thesis trains its ablations on 80% of YouTube-VOS train
    and validates on the rest); deterministic for a seed, sorted lists."""
    if not 0 < ratio < 1:
        raise ValueError(f'ratio must be in (0, 1), got {ratio}')
    names = sorted(videos)
    order = np.random.default_rng(seed).permutation(len(names))
    cut = int(round(ratio * len(names)))
    return (sorted(names[i] for i in order[:cut]), sorted(names[i] for i in order[cut:]))


def write_youtube_vos_split(data_root: str, split: str = 'train', ratio: float = 0.8,
                            seed: int = 0) -> Tuple[str, str]:
    """Write ``<split>/splits/train-<p>.txt`` and ``val-<100-p>.txt`` next to the meta.json
    and return their paths (relative to ``data_root``, as ``video_list`` takes them)."""
    meta = load_youtube_vos_meta(osp.join(data_root, split, 'meta.json'))
    train, val = split_youtube_vos(list(meta), ratio, seed)
    pct = int(round(ratio * 100))
    paths = (osp.join(split, 'splits', f'train-{pct}.txt'),
             osp.join(split, 'splits', f'val-{100 - pct}.txt'))
    for rel, names in zip(paths, (train, val)):
        write_text_atomic(''.join(n + '\n' for n in names), osp.join(data_root, rel))
    return paths


def write_youtube_vos_partition(data_root: str, metas: Sequence[str],
                                split: str = 'train') -> List[str]:
    """Video lists of a published partition of ``<split>``, given as meta.json-format files
    (imatge-upc/rvos trains on ``train-train-meta.json`` and selects on ``train-val-meta.json``,
    its README "Data"; misc/config_youtubeVOS.py:61-62): one ``<split>/splits/<name>.txt`` per
    file, ``<name>`` its file name without ``-meta.json``. Returns the paths relative to
    ``data_root``; every video must be in the split's own meta.json."""
    meta = load_youtube_vos_meta(osp.join(data_root, split, 'meta.json'))
    paths = []
    for path in metas:
        names = sorted(load_youtube_vos_meta(path))
        _check_known(path, names, meta, split)
        base = osp.basename(path)
        name = base[:-len('-meta.json')] if base.endswith('-meta.json') else osp.splitext(base)[0]
        rel = osp.join(split, 'splits', name + '.txt')
        write_text_atomic(''.join(n + '\n' for n in names), osp.join(data_root, rel))
        paths.append(rel)
    return paths
