"""Synthetic referring shapes: the embedded default for RefVOS (images and short videos).

Each picture holds 2..``max_objects`` circles / squares / triangles of a named colour (red,
green, blue, yellow: independent of the class) and one of two clearly different sizes (small,
big), lightly overlapping at most. Every object gets one sentence that singles it out among the
objects of its picture: the generator searches attribute subsets (colour, size, class,
location) smallest first, in a seeded-random order, and renders the first unique one with a
small grammar ("the red circle", "big square on the right", "the leftmost green one"). A share
(``nontrivial_fraction``) of the objects share their class with another object, so the class
word alone is ambiguous (the thesis's *non-trivial* expressions, section 6.4).

Location words are relative to the objects the other words leave: "the square on the left" is
the leftmost square, by at least ``size / 8`` pixels between object centres; in videos this
must hold on every frame, so a word chosen on the first frame stays true.

Layout (DAVIS-like, index PNGs whose pixels are object ids 1..K):
``JPEGImages/<split>/<image>.jpg``, ``Annotations/<split>/<image>.png`` for images,
``JPEGImages/<split>/<video>/<frame:05d>.jpg`` (and ``.png`` masks) for videos, and
``expressions_<split>.json`` with ``info`` (the generator settings: the stamp), the objects'
properties and ``expressions``. Expression ids are ``"<image or video>/<obj_id>"`` (one
expression per object). Image and video sets need different roots (same file names).

This module writes the files; the words come from :mod:`.language`, the pictures from
:mod:`.scene`, the datasets that read them are in :mod:`.datasets`.
"""
import os.path as osp
import zlib
from typing import Dict, List, Tuple

import numpy as np

from ...formats import synthetic_cache as cache
from ...formats.errors import FormatError
from ...formats.index_png import write_index_png
from ...formats.palettes import DAVIS_PALETTE
from ...formats.referring_shapes import read_referring_shapes
from ...utils.io import dump_json_atomic, imwrite_atomic
from .language import ATTRIBUTES, minimal_description, say, thesis_categories
from .scene import RefObject, choose_classes, paint, place_scene


def _make_scene(rng: np.random.Generator, size: int, num_frames: int, count: int,
                shared: bool, min_visible: float, redundancy: float
                ) -> Tuple[List[np.ndarray], List[np.ndarray], List[RefObject], List[tuple]]:
    """Draw scenes until every object has a unique description; returns (frames, id maps,
    objects, expressions as ``(obj, values, sentence, minimal)``, see :func:`.language.say`)."""
    classes = choose_classes(rng, count, shared)
    margin = size / 8
    for _ in range(10000):
        placed = place_scene(rng, size, num_frames, classes, min_visible)
        if placed is None:
            continue
        objects, id_maps = placed
        described = [(o, minimal_description(objects, o, rng, margin)) for o in objects]
        if all(values is not None for _, values in described):
            break
    else:
        raise RuntimeError(f'could not lay out {classes} in {size}x{size} pixels with '
                           f'min_visible={min_visible}; allow fewer objects or more overlap')
    frames = paint(rng, size, objects, id_maps)
    exprs = [(obj, *say(obj, values, rng, redundancy)) for obj, values in described]
    return frames, id_maps, objects, exprs


def _expression_record(key: str, name: str, obj: RefObject, values: Dict[str, str],
                       sentence: str, minimal: bool, objects: List[RefObject]) -> dict:
    attributes = [a for a in ATTRIBUTES if a in values]
    return {'expr_id': f'{name}/{obj.obj_id}', key: name, 'obj_id': obj.obj_id,
            'sentence': sentence,
            'trivial': sum(o.shape == obj.shape for o in objects) == 1,
            'attributes': attributes, 'values': values, 'minimal': minimal,
            'categories': thesis_categories(attributes)}


def _check_args(split: str, count: int, size: int, min_objects: int, max_objects: int,
                nontrivial_fraction: float, min_visible: float, redundancy: float,
                num_frames: int = 1) -> None:
    if not split or osp.sep in split:
        raise ValueError(f'split must be a plain folder name, got {split!r}')
    if count < 0 or num_frames < 1:
        raise ValueError(f'need count >= 0 and num_frames >= 1, got {count}, {num_frames}')
    if size < 32:
        raise ValueError(f'size must be >= 32 pixels (objects are ~size/5 wide), got {size}')
    if not 2 <= min_objects <= max_objects <= 5:
        raise ValueError(f'need 2 <= min_objects <= max_objects <= 5, got '
                         f'{min_objects}, {max_objects}')
    if not (0.0 <= nontrivial_fraction <= 1.0 and 0.0 < min_visible <= 1.0
            and 0.0 <= redundancy <= 1.0):
        raise ValueError(f'nontrivial_fraction and redundancy must be in [0, 1], min_visible '
                         f'in (0, 1]; got {nontrivial_fraction}, {redundancy}, {min_visible}')


def _generate(root: str, split: str, count: int, num_frames: int, seed: int, size: int,
              min_objects: int, max_objects: int, nontrivial_fraction: float,
              min_visible: float, redundancy: float) -> str:
    """Shared by images (``num_frames == 0``) and videos; see the public generators."""
    is_video = num_frames > 0
    _check_args(split, count, size, min_objects, max_objects, nontrivial_fraction,
                min_visible, redundancy, max(num_frames, 1))
    ann_file = annotation_path(root, split)
    cache.invalidate(ann_file)  # written last: a missing file means "regenerate"
    rng = np.random.default_rng([seed, zlib.crc32(split.encode()), 31 if is_video else 29])
    key = 'video' if is_video else 'image'
    entries, expressions = [], []
    nontrivial = total = 0
    for i in range(count):
        n = int(rng.integers(min_objects, max_objects + 1))
        # share classes whenever n trivial objects could pull the fraction below the setting
        shared = nontrivial < nontrivial_fraction * (total + n)
        frames, id_maps, objects, exprs = _make_scene(rng, size, max(num_frames, 1), n,
                                                      shared, min_visible, redundancy)
        name = f'refshapes-{split}-{i:04d}' if is_video else f'{split}_{i:05d}'
        stems = [f'{t:05d}' for t in range(num_frames)] if is_video else [name]
        sub = osp.join(split, name) if is_video else split
        for stem, frame, ids in zip(stems, frames, id_maps):
            imwrite_atomic(frame, osp.join(root, 'JPEGImages', sub, stem + '.jpg'))
            write_index_png(ids, osp.join(root, 'Annotations', sub, stem + '.png'), DAVIS_PALETTE)
        entry = {key: name, 'height': size, 'width': size,
                 'objects': [o.to_json() for o in objects]}
        if is_video:
            entry['frames'] = stems
        entries.append(entry)
        for obj, values, sentence, minimal in exprs:
            expressions.append(_expression_record(key, name, obj, values, sentence, minimal,
                                                  objects))
            nontrivial += not expressions[-1]['trivial']
        total += n
    info = _settings('videos' if is_video else 'images', count=count, num_frames=num_frames,
                     seed=seed, size=size, min_objects=min_objects, max_objects=max_objects,
                     nontrivial_fraction=nontrivial_fraction, min_visible=min_visible,
                     redundancy=redundancy)
    dump_json_atomic({'info': dict(info, split=split), f'{key}s': entries,
                      'expressions': expressions}, ann_file)
    return ann_file


def _settings(kind: str, count: int, num_frames: int, **kwargs) -> dict:
    counts = dict(num_videos=count, num_frames=num_frames) if kind == 'videos' else \
        dict(num_images=count)
    # the file's key order (its bytes) as before the stamp moved to formats.synthetic_cache
    return dict(_identity(kind), **cache.stamp('referring_shapes', **counts, **kwargs))


def _identity(kind: str) -> dict:
    """What the stamp says besides the settings: referring shapes, and which kind."""
    return dict(dataset='referring_shapes', kind=kind)


def annotation_path(root: str, split: str) -> str:
    """``expressions_<split>.json`` under ``root``; its ``info`` is the stamp."""
    return osp.join(root, f'expressions_{split}.json')


def generate_referring_shapes(root: str, split: str, num_images: int, seed: int = 0,
                              size: int = 64, min_objects: int = 2, max_objects: int = 4,
                              nontrivial_fraction: float = 0.5, min_visible: float = 0.8,
                              redundancy: float = 0.0) -> str:
    """Write ``num_images`` images, their id masks and ``expressions_<split>.json`` under
    ``root``; returns the json path.

    At least ``nontrivial_fraction`` of the expressions are non-trivial; every object keeps
    ``min_visible`` of its pixels; objects of one colour never touch. ``redundancy``: the
    chance of adding the class word to a minimal description. Same arguments give
    byte-identical files (concurrent DDP ranks agree); files are atomic, the json last.
    """
    return _generate(root, split, num_images, 0, seed, size, min_objects, max_objects,
                     nontrivial_fraction, min_visible, redundancy)


def generate_referring_shapes_videos(root: str, split: str, num_videos: int,
                                     num_frames: int = 8, seed: int = 0, size: int = 64,
                                     min_objects: int = 2, max_objects: int = 3,
                                     nontrivial_fraction: float = 0.5,
                                     min_visible: float = 0.7,
                                     redundancy: float = 0.0) -> str:
    """Videos of objects translating (and spinning) inside the frame with constant colour,
    class and size; one expression per object, its location word true on every frame.
    Returns the json path; deterministic and atomic like :func:`generate_referring_shapes`."""
    if num_frames < 1:
        raise ValueError(f'num_frames must be >= 1, got {num_frames}')
    return _generate(root, split, num_videos, num_frames, seed, size, min_objects,
                     max_objects, nontrivial_fraction, min_visible, redundancy)


def referring_shapes_current(root: str, split: str, kind: str, **settings) -> bool:
    """Whether ``expressions_<split>.json`` under ``root`` was made with ``settings``.

    Raises ValueError when it holds the other kind (images vs videos): both use one layout.
    """
    try:
        info = read_referring_shapes(annotation_path(root, split)).get('info')
    except (OSError, FormatError):
        return False  # missing or damaged: regenerate
    if not isinstance(info, dict):
        return False
    if info.get('dataset') == 'referring_shapes' and info.get('kind') not in (kind, None):
        raise ValueError(f'{root} holds referring-shapes {info.get("kind")} for split '
                         f'{split!r}; use another data_root for the {kind}')
    return cache.matches(info, 'referring_shapes', dict(_identity(kind), **settings))
