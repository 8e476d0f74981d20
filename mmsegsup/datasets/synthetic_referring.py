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
"""
import itertools
import json
import os
import os.path as osp
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.dataset import BaseDataset
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..formats.palettes import DAVIS_PALETTE
from ..utils.errors import DatasetFormatError
from ..utils.io import dump_json_atomic, imwrite_atomic, save_index_png_atomic
from .shape_drawing import SHAPE_CLASSES, draw_background, draw_shape

LAYOUT_VERSION = 1
COLOURS: Dict[str, Tuple[int, int, int]] = {  # RGB, saturated against the greyish background
    'red': (220, 30, 30), 'green': (40, 190, 50), 'blue': (40, 80, 235),
    'yellow': (235, 215, 30)}
SIZES = ('small', 'big')
ATTRIBUTES = ('colour', 'size', 'class', 'location')
DIRECTIONS = ('left', 'right', 'top', 'bottom')
CATEGORY_OF = {'colour': 'appearance', 'size': 'appearance', 'class': 'class category',
               'location': 'location'}  # thesis table 6.2
THESIS_CATEGORIES = ('appearance', 'class category', 'location')
SIZE_WORDS = {'small': ('small', 'little'), 'big': ('big', 'large')}
CLASS_WORDS = {'circle': ('circle', 'disc'), 'square': ('square', 'box'),
               'triangle': ('triangle', )}
LOCATION_PHRASES = {'left': ('on the left', 'at the left'),
                    'right': ('on the right', 'at the right'),
                    'top': ('at the top', 'on top'), 'bottom': ('at the bottom', 'near the bottom')}
LOCATION_SUPERLATIVES = {'left': 'leftmost', 'right': 'rightmost', 'top': 'topmost',
                         'bottom': 'lowest'}
_EXTENT = {'circle': 1.0, 'square': 1.25, 'triangle': 1.35}  # circumradius / radius
_HALO = np.ones((5, 5), np.uint8)  # a 2-pixel gap between objects of one colour
_AXIS = {'left': (0, -1), 'right': (0, 1), 'top': (1, -1), 'bottom': (1, 1)}


@dataclass
class RefObject:
    """One object: its attributes, and its centre ``(x, y)`` on each frame (one for images)."""
    obj_id: int
    shape: str
    colour: str
    size: str
    radius: int
    angle: float
    spin: float
    centers: np.ndarray  # (T, 2)
    rgb: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(3))

    def value(self, attribute: str) -> str:
        return {'colour': self.colour, 'size': self.size, 'class': self.shape}[attribute]

    def to_json(self) -> dict:
        out = {'obj_id': self.obj_id, 'class': self.shape, 'colour': self.colour,
               'size': self.size, 'radius': self.radius, 'angle': round(self.angle, 4)}
        centers = np.round(self.centers, 3).tolist()
        if len(centers) == 1:
            out['center'] = centers[0]
        else:
            out.update(spin=round(self.spin, 4), centers=centers)
        return out


def is_extreme(target: RefObject, group: Sequence[RefObject], direction: str,
               margin: float) -> bool:
    """Whether ``target`` is the ``direction``-most of ``group`` by ``margin`` px on every
    frame (vacuously true when it is alone)."""
    axis, sign = _AXIS[direction]
    mine = sign * target.centers[:, axis]
    return all(np.all(mine >= sign * o.centers[:, axis] + margin)
               for o in group if o.obj_id != target.obj_id)


def referents(objects: Sequence[RefObject], values: Dict[str, str],
              margin: float) -> List[int]:
    """Ids of the objects a description ``{attribute: value}`` fits (location is relative to
    the objects the other attributes leave)."""
    group = [o for o in objects
             if all(o.value(a) == v for a, v in values.items() if a != 'location')]
    if 'location' in values:
        group = [o for o in group if is_extreme(o, group, values['location'], margin)]
    return [o.obj_id for o in group]


def minimal_description(objects: Sequence[RefObject], target: RefObject,
                        rng: np.random.Generator, margin: float
                        ) -> Optional[Dict[str, str]]:
    """The first unique description over the smallest attribute subsets, tried in a seeded
    random order (so many combinations occur); ``None`` if no subset singles ``target`` out."""
    for k in range(1, len(ATTRIBUTES) + 1):
        subsets = list(itertools.combinations(ATTRIBUTES, k))
        for i in rng.permutation(len(subsets)):
            base = {a: target.value(a) for a in subsets[i] if a != 'location'}
            options = ([dict(base, location=DIRECTIONS[d]) for d in rng.permutation(4)]
                       if 'location' in subsets[i] else [base])
            for values in options:
                if referents(objects, values, margin) == [target.obj_id]:
                    return values
    return None


def render_sentence(values: Dict[str, str], rng: np.random.Generator) -> str:
    """Words for a description: size and colour adjectives, a class noun (or "one" /
    "shape" / "object"), a location phrase or superlative; articles are sometimes dropped."""
    pick = lambda words: words[int(rng.integers(len(words)))]  # noqa: E731
    adjectives = ([pick(SIZE_WORDS[values['size']])] if 'size' in values else []) + \
        ([values['colour']] if 'colour' in values else [])
    if 'class' in values:
        noun = pick(CLASS_WORDS[values['class']])
    else:
        noun = pick(('one', 'shape', 'object') if adjectives else ('shape', 'object'))
    location = values.get('location')
    if location is not None and rng.random() < 0.4:
        return ' '.join(['the', LOCATION_SUPERLATIVES[location], *adjectives, noun])
    words = (['the'] if rng.random() < 0.75 else []) + adjectives + [noun]
    if location is not None:
        words.append(pick(LOCATION_PHRASES[location]))
    return ' '.join(words)


def _choose_classes(rng: np.random.Generator, count: int, shared: bool) -> List[str]:
    """Random classes, or (``shared``) classes each held by at least two objects."""
    if not shared:
        return [SHAPE_CLASSES[i] for i in rng.integers(len(SHAPE_CLASSES), size=count)]
    groups = [count] if count < 4 else [2, count - 2]
    labels = [int(rng.integers(len(SHAPE_CLASSES))) for _ in groups]
    classes = [SHAPE_CLASSES[c] for c, n in zip(labels, groups) for _ in range(n)]
    return [classes[i] for i in rng.permutation(count)]


def _place_scene(rng: np.random.Generator, size: int, num_frames: int, classes: List[str],
                 min_visible: float, tries: int = 25
                 ) -> Optional[Tuple[List[RefObject], List[np.ndarray]]]:
    """Objects of ``classes`` (later ones in front) moving on straight lines inside the frame,
    each keeping ``min_visible`` of its pixels on every frame; returns objects and id maps."""
    objects: List[RefObject] = []
    full: List[List[np.ndarray]] = []  # per object, per frame: the drawn shape
    visible: List[List[np.ndarray]] = []
    for obj_id, shape in enumerate(classes, start=1):
        colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        size_word = SIZES[int(rng.integers(2))]
        lo, hi = (0.12, 0.14) if size_word == 'small' else (0.2, 0.22)
        radius = int(round(size * rng.uniform(lo, hi)))
        angle = float(rng.uniform(0, 2 * np.pi))
        spin = float(rng.uniform(-0.1, 0.1)) if num_frames > 1 else 0.0
        rgb = np.array(COLOURS[colour], float) + rng.uniform(-12, 12, 3)
        edge = int(np.ceil(_EXTENT[shape] * radius)) + 1  # clear of the border
        for _ in range(tries):
            start = rng.uniform(edge, size - 1 - edge, 2)
            shift = rng.uniform(-0.3 * size, 0.3 * size, 2) if num_frames > 1 else np.zeros(2)
            end = np.clip(start + shift, edge, size - 1 - edge)
            steps = np.linspace(0, 1, num_frames)[:, None]
            centers = start + steps * (end - start)
            masks = [draw_shape(shape, size, tuple(int(v) for v in np.round(c)), radius,
                                angle + t * spin) > 0 for t, c in enumerate(centers)]
            halo = [cv2.dilate(m.astype(np.uint8), _HALO) > 0 for m in masks]
            if all(np.sum(vis[t] & ~masks[t]) >= min_visible * np.sum(fm[t])
                   and not (other.colour == colour and np.any(halo[t] & fm[t]))
                   for other, vis, fm in zip(objects, visible, full)
                   for t in range(num_frames)):
                break  # same-colour objects never touch: their outlines stay visible
        else:
            return None
        visible = [[vis[t] & ~masks[t] for t in range(num_frames)] for vis in visible]
        visible.append(masks)
        full.append(masks)
        objects.append(RefObject(obj_id, shape, colour, size_word, radius, angle, spin,
                                 centers, rgb))
    id_maps = []
    for t in range(num_frames):
        ids = np.zeros((size, size), np.uint8)
        for obj, vis in zip(objects, visible):
            ids[vis[t]] = obj.obj_id
        id_maps.append(ids)
    return objects, id_maps


def _paint(rng: np.random.Generator, size: int, objects: List[RefObject],
           id_maps: List[np.ndarray]) -> List[np.ndarray]:
    """BGR frames: one textured background (light noise per frame), objects in their colour."""
    background = draw_background(rng, size)
    frames = []
    for ids in id_maps:
        img = background + (rng.normal(0, 3, background.shape) if len(id_maps) > 1 else 0)
        for obj in objects:
            mask = ids == obj.obj_id
            img[mask] = obj.rgb[::-1] + rng.normal(0, 4, (int(mask.sum()), 3))
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames


def _make_scene(rng: np.random.Generator, size: int, num_frames: int, count: int,
                shared: bool, min_visible: float, redundancy: float
                ) -> Tuple[List[np.ndarray], List[np.ndarray], List[RefObject], List[tuple]]:
    """Draw scenes until every object has a unique description; returns (frames, id maps,
    objects, expressions as ``(obj, values, sentence, minimal)``). With probability
    ``redundancy`` the class word is added to a description without it (still unique:
    a further word only narrows the candidates), as people often do (thesis 6.4.2)."""
    classes = _choose_classes(rng, count, shared)
    margin = size / 8
    for _ in range(10000):
        placed = _place_scene(rng, size, num_frames, classes, min_visible)
        if placed is None:
            continue
        objects, id_maps = placed
        described = [(o, minimal_description(objects, o, rng, margin)) for o in objects]
        if all(values is not None for _, values in described):
            break
    else:
        raise RuntimeError(f'could not lay out {classes} in {size}x{size} pixels with '
                           f'min_visible={min_visible}; allow fewer objects or more overlap')
    frames = _paint(rng, size, objects, id_maps)
    exprs = []
    for obj, values in described:
        minimal = not ('class' not in values and rng.random() < redundancy)
        values = values if minimal else dict(values, **{'class': obj.shape})
        exprs.append((obj, values, render_sentence(values, rng), minimal))
    return frames, id_maps, objects, exprs


def _expression_record(key: str, name: str, obj: RefObject, values: Dict[str, str],
                       sentence: str, minimal: bool, objects: List[RefObject]) -> dict:
    attributes = [a for a in ATTRIBUTES if a in values]
    return {'expr_id': f'{name}/{obj.obj_id}', key: name, 'obj_id': obj.obj_id,
            'sentence': sentence,
            'trivial': sum(o.shape == obj.shape for o in objects) == 1,
            'attributes': attributes, 'values': values, 'minimal': minimal,
            'categories': [c for c in THESIS_CATEGORIES
                           if any(CATEGORY_OF[a] == c for a in attributes)]}


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
    ann_file = osp.join(root, f'expressions_{split}.json')
    if osp.isfile(ann_file):
        os.remove(ann_file)  # written last: a missing file means "regenerate"
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
            save_index_png_atomic(ids, osp.join(root, 'Annotations', sub, stem + '.png'),
                                  DAVIS_PALETTE)
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
    return dict(dataset='referring_shapes', kind=kind, layout_version=LAYOUT_VERSION,
                **counts, **kwargs)


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


def _read_json(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'referring-shapes annotation {path} not found')
    try:
        with open(path) as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DatasetFormatError(f'{path}: not valid JSON ({e})') from e
    if not isinstance(data, dict) or not isinstance(data.get('expressions'), list):
        raise DatasetFormatError(f'{path}: expected a dict with an "expressions" list')
    return data


def referring_shapes_current(root: str, split: str, kind: str, **settings) -> bool:
    """Whether ``expressions_<split>.json`` under ``root`` was made with ``settings``.

    Raises ValueError when it holds the other kind (images vs videos): both use one layout.
    """
    try:
        info = _read_json(osp.join(root, f'expressions_{split}.json')).get('info', {})
    except (OSError, DatasetFormatError):
        return False  # missing or damaged: regenerate
    if not isinstance(info, dict):
        return False
    if info.get('dataset') == 'referring_shapes' and info.get('kind') not in (kind, None):
        raise ValueError(f'{root} holds referring-shapes {info.get("kind")} for split '
                         f'{split!r}; use another data_root for the {kind}')
    want = dict(dataset='referring_shapes', kind=kind, layout_version=LAYOUT_VERSION,
                **settings)
    return all(info.get(k) == v for k, v in want.items())


class _ReferringShapesBase(BaseDataset):
    """Generates the split when missing or made with other settings, then reads it."""

    METAINFO = dict(classes=('background', 'referent'), palette=[[0, 0, 0], [255, 255, 255]])
    _KIND = ''

    def __init__(self, split: str, settings: dict, data_root: Optional[str] = None,
                 **kwargs) -> None:
        if data_root is None:
            raise ValueError(f'{type(self).__name__} needs data_root (where to write the data)')
        self.split, self.settings = split, settings
        kwargs.setdefault('ann_file', f'expressions_{split}.json')
        kwargs.setdefault('data_prefix', dict(img_path=f'JPEGImages/{split}',
                                              seg_map_path=f'Annotations/{split}'))
        super().__init__(data_root=data_root, **kwargs)

    def _load(self) -> dict:
        if not referring_shapes_current(self.data_root, self.split, self._KIND,
                                        **self.settings):
            _generate(self.data_root, self.split, **self._generate_args())
        return _read_json(self.ann_file)

    def _generate_args(self) -> dict:
        s = dict(self.settings)
        count = s.pop('num_videos' if self._KIND == 'videos' else 'num_images')
        return dict(s, count=count, num_frames=s.pop('num_frames', 0))

    def _sample(self, expr: dict, img_path: str, mask_path: str, video: Optional[str],
                frame_id: Optional[int]) -> dict:
        try:
            return dict(img_path=img_path, expression=expr['sentence'],
                        expr_id=expr['expr_id'],
                        ref_mask=dict(type='index_png', path=mask_path,
                                      obj_id=int(expr['obj_id'])),
                        video=video, frame_id=frame_id, trivial=bool(expr['trivial']),
                        object_id=int(expr['obj_id']), categories=list(expr['categories']),
                        attributes=list(expr['attributes']), split=self.split,
                        seg_fields=[], reduce_zero_label=False)
        except (KeyError, TypeError, ValueError) as e:
            raise DatasetFormatError(f'{self.ann_file}: expression {expr!r} lacks or has a '
                                     f'bad field ({e!r})') from e


@DATASETS.register_module()
class ReferringShapesDataset(_ReferringShapesBase):
    """Synthetic referring-shapes images in the shared referring contract (one sample per
    expression; ``ref_mask`` is an ``index_png``), written on first use.

    Args:
        split / num_images / seed / size / min_objects / max_objects / nontrivial_fraction /
            min_visible / redundancy: generator settings (see :func:`generate_referring_shapes`).
        data_root: where the data is written and read; **kwargs: ``BaseDataset`` arguments.
    """
    _KIND = 'images'

    def __init__(self, split: str = 'train', num_images: int = 1000, seed: int = 0,
                 size: int = 64, min_objects: int = 2, max_objects: int = 4,
                 nontrivial_fraction: float = 0.5, min_visible: float = 0.8,
                 redundancy: float = 0.0, data_root: Optional[str] = None,
                 **kwargs) -> None:
        settings = dict(num_images=num_images, seed=seed, size=size, min_objects=min_objects,
                        max_objects=max_objects, nontrivial_fraction=nontrivial_fraction,
                        min_visible=min_visible, redundancy=redundancy)
        super().__init__(split, settings, data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        data = self._load()
        img_dir, ann_dir = self.data_prefix['img_path'], self.data_prefix['seg_map_path']
        return [self._sample(e, osp.join(img_dir, f'{e.get("image")}.jpg'),
                             osp.join(ann_dir, f'{e.get("image")}.png'), None, None)
                for e in data['expressions']]


@DATASETS.register_module()
class ReferringShapesVideoDataset(_ReferringShapesBase):
    """Synthetic referring-shapes videos: one sample per (expression, frame), ``video`` and
    ``frame_id`` set, the same ``expr_id`` on every frame of an expression.

    Args:
        split / num_videos / num_frames / seed / size / min_objects / max_objects /
            nontrivial_fraction / min_visible / redundancy: see
            :func:`generate_referring_shapes_videos`.
    """
    _KIND = 'videos'

    def __init__(self, split: str = 'train', num_videos: int = 100, num_frames: int = 8,
                 seed: int = 0, size: int = 64, min_objects: int = 2, max_objects: int = 3,
                 nontrivial_fraction: float = 0.5, min_visible: float = 0.7,
                 redundancy: float = 0.0, data_root: Optional[str] = None,
                 **kwargs) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        settings = dict(num_videos=num_videos, num_frames=num_frames, seed=seed, size=size,
                        min_objects=min_objects, max_objects=max_objects,
                        nontrivial_fraction=nontrivial_fraction, min_visible=min_visible,
                        redundancy=redundancy)
        super().__init__(split, settings, data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        data = self._load()
        frames = {v.get('video'): v.get('frames') for v in data.get('videos', [])
                  if isinstance(v, dict)}
        img_dir, ann_dir = self.data_prefix['img_path'], self.data_prefix['seg_map_path']
        samples = []
        for expr in data['expressions']:
            video = expr.get('video')
            if not isinstance(frames.get(video), list):
                raise DatasetFormatError(f'{self.ann_file}: expression {expr.get("expr_id")!r}'
                                         f' names video {video!r}, not listed in "videos"')
            for t, stem in enumerate(frames[video]):
                samples.append(self._sample(expr, osp.join(img_dir, video, stem + '.jpg'),
                                            osp.join(ann_dir, video, stem + '.png'), video, t))
        return samples
