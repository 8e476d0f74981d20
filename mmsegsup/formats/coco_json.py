"""COCO json files: load one, check the top-level lists its reader needs, index its images,
categories and annotations by id; encode masks as the JSON-safe RLEs they hold.

The datasets, the weak-label format, the budget model, BASIS splits and active learning all
read COCO instance files; each asks for the lists it uses, and every fault raises a
:class:`~mmsegsup.formats.errors.FormatError` naming the file and the entry or field.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Sequence

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


class CocoIndex(NamedTuple):
    """A checked COCO document: ``images`` and ``categories`` by id (file order), and the
    ``annotations``, each naming a known image and category."""
    images: Dict[Any, Mapping]
    categories: Dict[Any, Mapping]
    annotations: List[Mapping]


def _is_id(value: Any) -> bool:
    """A COCO id: an int or a string (a list or an object would not even hash)."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def entries_by_id(entries: list, field: str, name: str,
                  keys: Sequence[str] = ('id', )) -> Dict[Any, Mapping]:
    """``id -> entry`` of a COCO list (``images``, ``categories``): every entry an object with
    ``keys``, no id twice; ``name``: the file, for the message."""
    out: Dict[Any, Mapping] = {}
    for k, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or any(key not in entry for key in keys):
            raise FormatError(f'{name}: {field}[{k}] lacks {" or ".join(map(repr, keys))}',
                              name)
        if not _is_id(entry['id']):
            raise FormatError(f'{name}: {field}[{k}] id {entry["id"]!r} is not a number or '
                              'a string', name)
        if entry['id'] in out:
            raise FormatError(f'{name}: duplicate id {entry["id"]!r} in {field}', name)
        out[entry['id']] = entry
    return out


def _check_annotation(ann: Any, k: int, index: CocoIndex, name: str) -> Mapping:
    """Annotation #k: an object whose image_id and category_id are in ``index``."""
    if not isinstance(ann, Mapping) or 'image_id' not in ann or 'category_id' not in ann:
        raise FormatError(f'{name}: annotation #{k} lacks image_id or category_id', name)
    for key, known in (('image_id', index.images), ('category_id', index.categories)):
        if not _is_id(ann[key]) or ann[key] not in known:
            raise FormatError(f'{name}: annotation {ann.get("id", "#" + str(k))} refers to '
                              f'unknown {key} {ann[key]!r}', name)
    return ann


def index_coco(data: Mapping, name: str, image_keys: Sequence[str] = ('id', ),
               category_keys: Sequence[str] = ('id', )) -> CocoIndex:
    """Index a document checked by :func:`check_coco_lists`: images and categories by id
    (each with ``image_keys`` / ``category_keys``), annotations checked to refer to them."""
    categories = entries_by_id(data['categories'], 'categories', name, category_keys)
    index = CocoIndex(entries_by_id(data['images'], 'images', name, image_keys), categories, [])
    index.annotations.extend(_check_annotation(ann, k, index, name)
                             for k, ann in enumerate(data['annotations']))
    return index


def coco_subset(coco: Mapping, image_ids: Iterable[int],
                with_annotations: bool = True) -> dict:
    """The COCO dict of the images ``image_ids`` (in ``coco``'s image order) and, with
    ``with_annotations``, their annotations (else none: a pool to label); the other top-level
    entries (categories, info) are kept."""
    ids = set(image_ids)
    anns = [a for a in coco.get('annotations', []) if a['image_id'] in ids]
    return dict(coco, images=[im for im in coco['images'] if im['id'] in ids],
                annotations=anns if with_annotations else [])


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
