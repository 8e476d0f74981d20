"""COCO json files: load one and check the top-level lists its reader needs; encode masks as
the JSON-safe RLEs they hold.

The datasets, the weak-label format, the budget model, BASIS splits and active learning all
read COCO instance files; each asks for the lists it uses, and every fault raises a
:class:`~mmsegsup.formats.errors.FormatError` naming the file.
"""
import json
import os
import os.path as osp
from typing import Any, List, Mapping, Sequence

import numpy as np

from .errors import FormatError, MissingFileError

COCO_LISTS = ('images', 'annotations', 'categories')


def check_coco_lists(data: Any, name: str, keys: Sequence[str] = COCO_LISTS) -> Mapping:
    """``data`` itself if it is a mapping whose ``keys`` are lists; ``name``: the file (or
    '<COCO dict>') for the message."""
    if not isinstance(data, Mapping):
        raise FormatError(f'{name}: expected a JSON object with {"/".join(keys)}, got '
                          f'{type(data).__name__}', name)
    for key in keys:
        if not isinstance(data.get(key), list):
            raise FormatError(f'{name}: missing or malformed COCO field {key!r} (expected a '
                              'list)', name)
    return data


def load_coco_json(path: 'os.PathLike | str', keys: Sequence[str] = COCO_LISTS,
                   what: str = 'COCO JSON file') -> dict:
    """The COCO document at ``path``, checked by :func:`check_coco_lists`.

    A missing file raises :class:`MissingFileError` (a ``FileNotFoundError``), an unreadable
    one :class:`FormatError`; both name the file.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise MissingFileError(f'{what} {path} not found', path)
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        data = json.loads(raw)
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise FormatError(f'{path}: not a readable {what} ({err})', path) from err
    return check_coco_lists(data, path, keys)


def masks_to_rles(masks: np.ndarray) -> List[dict]:
    """COCO compressed RLEs of ``(N, H, W)`` binary masks with ``counts`` as str: JSON-safe,
    and mmdet's ``LoadAnnotations`` ignores (marks ``ignore_flag``) RLEs whose counts are
    bytes."""
    if len(masks) == 0:
        return []
    import pycocotools.mask as mask_util  # here: the json readers stay light
    rles = mask_util.encode(np.asfortranarray(np.asarray(masks, dtype=np.uint8)
                                              .transpose(1, 2, 0)))
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles
