"""Is the generated data current? One answer for every synthetic generator.

Each generator removes its stamp first (:func:`invalidate`) and writes it last (a json of its
settings and its layout version, in a file of its own or under a key of a file it writes
anyway), so an interrupted run is regenerated rather than taken for a finished one. A dataset
regenerates unless the stamp matches its settings (:func:`is_current`). The layout versions of
all generators live in :data:`LAYOUT_VERSIONS`; bump one when its files change, and every
cache of that generator is regenerated on next use.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, Optional, Sequence

LAYOUT_VERSIONS: Dict[str, Optional[int]] = {
    'shapes': None,  # the COCO json's info: settings only (its files never changed)
    'shapes_semantic': 1,
    'shapes_videos': 2,  # 2: also writes Annotations_unsupervised
    'shapes_ytvos': 1,
    'referring_shapes': 1,
}


def stamp(generator: str, **settings: Any) -> dict:
    """The stamp of ``generator``'s output: its layout version (if it has one), then
    ``settings``, in their order (the files' bytes depend on it)."""
    version = LAYOUT_VERSIONS[generator]
    return dict(settings) if version is None else dict(layout_version=version, **settings)


def matches(info: Any, generator: str, settings: dict) -> bool:
    """Whether the stamp ``info`` (as read) holds ``generator``'s layout version and
    ``settings``; keys it has beyond them (extra facts the generator records) do not count."""
    return isinstance(info, dict) and all(
        info.get(k) == v for k, v in stamp(generator, **settings).items())


def read_stamp(path: str, key: Optional[str] = None) -> Optional[dict]:
    """The stamp in ``path`` (under ``key``); ``None`` if missing or damaged."""
    try:
        with open(path) as f:
            data = json.load(f)
        data = data.get(key, {}) if key is not None else data
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return None
    return data if isinstance(data, dict) else None


def is_current(path: str, generator: str, settings: dict, key: Optional[str] = None,
               requires: Sequence[str] = ()) -> bool:
    """Whether the stamp at ``path`` (under ``key``) matches ``settings`` and the layout version
    of ``generator``, and the files ``requires`` exist."""
    if not all(osp.isfile(p) for p in requires):
        return False
    return matches(read_stamp(path, key), generator, settings)


def invalidate(path: str) -> None:
    """Remove the stamp before regenerating (it is written last)."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
