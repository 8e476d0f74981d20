"""Synthetic moving-shapes videos in the DAVIS-2017 layout: the embedded default for RVOS.

``JPEGImages/480p/<seq>/00000.jpg``, ``Annotations/480p/<seq>/00000.png`` (palette PNGs whose
indices are object ids, 0 = background; the same in ``Annotations_unsupervised`` for the
unsupervised protocol) and ``ImageSets/2017/<split>.txt``: the official tools
read these folders as they read DAVIS. Deterministic by seed. Videos have several objects of
the classes of :mod:`.scene` (same-class objects included) moving with their own velocity
and spin, a fixed depth order (so they occlude one another), some leaving the frame and, with
``late_entries``, some entering after the first frame (YouTube-VOS style).
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...formats import synthetic_cache as cache
from ...formats.index_png import write_index_png
from ...formats.palettes import DAVIS_PALETTE
from ...utils.io import dump_json_atomic, imwrite_atomic, write_text_atomic
from .scene import SHAPE_CLASSES, class_colour, draw_background, draw_shape


@dataclass
class _Track:
    label: int
    radius: int
    pos: np.ndarray  # (x, y) at the object's first frame
    vel: np.ndarray  # px per frame
    angle: float
    spin: float
    colour: np.ndarray
    start: int  # first frame where the object exists


def _sample_track(rng: np.random.Generator, size: int, num_frames: int,
                  late: bool, classes: Sequence[int]) -> _Track:
    radius = int(rng.integers(max(3, size // 9), max(4, size // 5) + 1))
    speed = rng.uniform(0.5, max(1.0, size / 24))
    heading = rng.uniform(0, 2 * np.pi)
    start = int(rng.integers(1, max(2, num_frames // 2))) if late else 0
    label = int(classes[rng.integers(len(classes))])
    return _Track(label=label, radius=radius,
                  pos=rng.uniform(radius, size - radius, 2),
                  vel=speed * np.array([np.cos(heading), np.sin(heading)]),
                  angle=rng.uniform(0, 2 * np.pi), spin=rng.uniform(-0.15, 0.15),
                  colour=class_colour(rng, label), start=start)


def render_video(rng: np.random.Generator, size: int, num_frames: int, max_objects: int,
                 late_entries: bool = False, min_first_area: int = 12,
                 classes: Optional[Sequence[int]] = None
                 ) -> Tuple[List[np.ndarray], List[np.ndarray], List[int]]:
    """Frames (BGR uint8), object-id maps (uint8) and each object's class label (drawn from
    ``classes``, indices of ``SHAPE_CLASSES``; default all).

    Objects present from frame 0 are visible there by at least ``min_first_area`` pixels (the
    one-shot task gives their first-frame masks); draws repeat until that holds.
    """
    classes = range(len(SHAPE_CLASSES)) if classes is None else classes
    while True:
        count = int(rng.integers(1, max_objects + 1))
        tracks = [_sample_track(rng, size, num_frames, late_entries and k > 0 and
                                rng.random() < 0.3, classes) for k in range(count)]
        background = draw_background(rng, size)
        frames, id_maps = [], []
        for t in range(num_frames):
            img = background + rng.normal(0, 3, background.shape)
            ids = np.zeros((size, size), np.uint8)
            for obj_id, tr in enumerate(tracks, start=1):  # later ids are in front
                if t < tr.start:
                    continue
                dt = t - tr.start
                cx, cy = (tr.pos + dt * tr.vel).round().astype(int)
                mask = draw_shape(SHAPE_CLASSES[tr.label], size, (int(cx), int(cy)),
                                  tr.radius, tr.angle + dt * tr.spin) > 0
                img[mask] = tr.colour + rng.normal(0, 4, (int(mask.sum()), 3))
                ids[mask] = obj_id
            frames.append(np.clip(img, 0, 255).astype(np.uint8))
            id_maps.append(ids)
        first = id_maps[0]
        if all((first == k).sum() >= min_first_area
               for k, tr in enumerate(tracks, start=1) if tr.start == 0):
            return frames, id_maps, [tr.label for tr in tracks]


def generate_shapes_videos(root: str, split: str, num_videos: int, num_frames: int = 12,
                           seed: int = 0, size: int = 64, max_objects: int = 3,
                           late_entries: bool = False) -> str:
    """Write ``num_videos`` sequences of ``split`` under ``root``; returns the split file.

    Same arguments give identical files; every file is written atomically, the stamp
    (``<split>_synthetic.json``) removed first and written last, so an interrupted run is
    regenerated rather than half used.
    """
    info_path, split_file = _davis_paths(root, split)
    cache.invalidate(info_path)
    rng = np.random.default_rng([seed, sum(map(ord, split)), 7])
    names, labels = [], {}
    for v in range(num_videos):
        name = f'shapes-{split}-{v:03d}'
        frames, id_maps, classes = render_video(rng, size, num_frames, max_objects,
                                                late_entries)
        for t, (frame, ids) in enumerate(zip(frames, id_maps)):
            imwrite_atomic(frame, osp.join(root, 'JPEGImages', '480p', name, f'{t:05d}.jpg'))
            for folder in ('Annotations', 'Annotations_unsupervised'):  # every object counts
                write_index_png(ids, osp.join(root, folder, '480p', name, f'{t:05d}.png'),
                                DAVIS_PALETTE)
        names.append(name)
        labels[name] = [SHAPE_CLASSES[c] for c in classes]
    write_text_atomic('\n'.join(names) + '\n', split_file)
    info = cache.stamp('shapes_videos', seed=seed, size=size, num_frames=num_frames,
                       max_objects=max_objects, late_entries=late_entries,
                       num_videos=num_videos)
    dump_json_atomic(dict(info, object_classes=labels), info_path)
    return split_file


def _davis_paths(root: str, split: str) -> Tuple[str, str]:
    """The stamp and the split list of ``split`` in the DAVIS layout."""
    folder = osp.join(root, 'ImageSets', '2017')
    return osp.join(folder, f'{split}_synthetic.json'), osp.join(folder, f'{split}.txt')


def synthetic_videos_current(root: str, split: str, **settings) -> bool:
    """Whether ``root`` already holds ``split`` generated with ``settings``."""
    info_path, split_file = _davis_paths(root, split)
    return cache.is_current(info_path, 'shapes_videos', settings, requires=[split_file])


def generate_shapes_videos_ytvos(root: str, split: str, num_videos: int, num_frames: int = 12,
                                 seed: int = 0, size: int = 64, max_objects: int = 3,
                                 unseen_classes: Sequence[str] = (), step: int = 5) -> str:
    """Synthetic moving shapes in the YouTube-VOS layout under ``<root>/<split>/``.

    Frames are named as YouTube-VOS's 30 fps indices of its 6 fps frames (00000, 00005, ...),
    every frame is annotated (like ``train``), objects enter mid-video, and ``meta.json``
    names each object's category (its shape) and annotated frames, the first being its first
    appearance. ``unseen_classes`` are left out of this split, so a split without them trains
    a model that meets them as unseen categories in another. Returns the meta.json path;
    deterministic, atomic, meta.json (its ``synthetic`` key: the stamp) removed first and
    written last.
    """
    unknown = [c for c in unseen_classes if c not in SHAPE_CLASSES]
    if unknown:
        raise ValueError(f'unseen_classes: {unknown[0]!r} is not one of {SHAPE_CLASSES}')
    allowed = [i for i, c in enumerate(SHAPE_CLASSES) if c not in unseen_classes]
    meta_path = osp.join(root, split, 'meta.json')
    cache.invalidate(meta_path)
    rng = np.random.default_rng([seed, sum(map(ord, split)), 11])
    videos: Dict[str, dict] = {}
    for v in range(num_videos):
        name = f'{v:05d}shapes{split}'
        frames, id_maps, classes = render_video(rng, size, num_frames, max_objects,
                                                late_entries=True, classes=allowed)
        stems = [f'{t * step:05d}' for t in range(num_frames)]
        for stem, frame, ids in zip(stems, frames, id_maps):
            imwrite_atomic(frame, osp.join(root, split, 'JPEGImages', name, stem + '.jpg'))
            write_index_png(ids, osp.join(root, split, 'Annotations', name, stem + '.png'),
                            DAVIS_PALETTE)
        objects = {}
        for obj_id, label in enumerate(classes, start=1):
            present = [stem for stem, ids in zip(stems, id_maps) if (ids == obj_id).any()]
            if present:  # an object hidden in every frame is not annotated at all
                objects[str(obj_id)] = dict(category=SHAPE_CLASSES[label], frames=present)
        videos[name] = dict(objects=objects)
    settings = cache.stamp('shapes_ytvos', num_videos=num_videos, num_frames=num_frames,
                           seed=seed, size=size, max_objects=max_objects,
                           unseen_classes=list(unseen_classes), step=step)
    dump_json_atomic(dict(videos=videos, synthetic=settings), meta_path)
    return meta_path


def synthetic_ytvos_current(root: str, split: str, **settings) -> bool:
    """Whether ``<root>/<split>/meta.json`` was generated with ``settings``."""
    settings['unseen_classes'] = list(settings.get('unseen_classes', []))
    return cache.is_current(osp.join(root, split, 'meta.json'), 'shapes_ytvos', settings,
                            key='synthetic')
