"""YouTube-VOS ``<split>/meta.json``: per video and object, its ``category`` and the ``frames``
where it is annotated (the earliest being its first appearance), validated up front.

Read by the YouTube-VOS dataset and its evaluation alike."""
import json
import os.path as osp
from typing import Dict

from .errors import DavisFileNotFoundError, DavisFormatError

__all__ = ['Meta', 'load_youtube_vos_meta']

Meta = Dict[str, Dict[str, dict]]


def _meta_error(path: str, where: str, what: str) -> DavisFormatError:
    return DavisFormatError(f'{path}: {where} {what} (expected {{"videos": {{"<video>": '
                            f'{{"objects": {{"<id>": {{"category": str, "frames": [str, ...]}}}}'
                            f'}}}}}})')


def _check_object(path: str, video: str, key: object, obj: object) -> dict:
    """One validated object entry ``{'category': str, 'frames': [str, ...]}``."""
    where = f'video {video!r} object {key!r}'
    if not isinstance(key, str) or not key.isdigit() or not 1 <= int(key) <= 255:
        raise _meta_error(path, where, 'has an id that is not an integer in 1..255')
    if not isinstance(obj, dict):
        raise _meta_error(path, where, f'is a {type(obj).__name__}, not an object')
    if 'category' not in obj:
        raise _meta_error(path, where, 'has no "category"')
    if not isinstance(obj['category'], str):
        raise _meta_error(path, where, 'has a "category" that is not a string')
    if 'frames' not in obj:
        raise _meta_error(path, where, 'has no "frames"')
    frames = obj['frames']
    if not isinstance(frames, list) or not all(isinstance(f, str) for f in frames):
        raise _meta_error(path, where, 'has "frames" that is not a list of frame names')
    if not frames:
        raise _meta_error(path, where, 'has an empty "frames" list (no first appearance)')
    return {'category': obj['category'], 'frames': list(frames)}


def load_youtube_vos_meta(meta_path: str) -> Meta:
    """``{video: {object id (str): {'category', 'frames'}}}`` of a YouTube-VOS ``meta.json``.

    Validated up front so that a malformed file fails with its name and the offending field
    instead of a ``KeyError`` deep inside the evaluation.
    """
    if not osp.isfile(meta_path):
        raise DavisFileNotFoundError(f'meta file {meta_path} not found (expected the '
                                     f'YouTube-VOS <split>/meta.json)')
    try:
        with open(meta_path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as err:  # JSONDecodeError and UnicodeDecodeError included
        raise DavisFormatError(f'{meta_path} is not valid JSON: {err}') from err
    if not isinstance(data, dict) or not isinstance(data.get('videos'), dict):
        raise _meta_error(meta_path, 'the top level', 'has no "videos" mapping')
    meta: Meta = {}
    for video, entry in data['videos'].items():
        if not isinstance(entry, dict) or not isinstance(entry.get('objects'), dict):
            raise _meta_error(meta_path, f'video {video!r}', 'has no "objects" mapping')
        meta[video] = {key: _check_object(meta_path, video, key, obj)
                       for key, obj in entry['objects'].items()}
    return meta
