"""Synthetic "shapes" instance segmentation data: the toolkit's embedded default.

Deterministic by seed and written in the COCO layout (``images/<split>/*.png`` and
``annotations/instances_<split>.json`` with RLE masks), so mmdet's ``CocoDataset`` and
``CocoMetric`` read it like any benchmark. Images have textured backgrounds, 1..N objects of
several classes (with several instances of one class) and occlusions (later shapes cover earlier
ones; masks are the visible parts). Each class has its own hue family (red, green, blue) with
random saturation and brightness, so a small CPU model can learn the classes from scratch in
minutes, while telling apart touching instances of one class still needs their shapes and edges.
"""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import pycocotools.mask as mask_utils

from ...formats import synthetic_cache as cache
from ...utils.io import dump_json_atomic, imwrite_atomic
from .scene import SHAPE_CLASSES, class_colour, draw_background, draw_shape


def shapes_rng(seed: int, split: str) -> np.random.Generator:
    """The random stream of a split: the split is mixed in, so splits differ."""
    return np.random.default_rng([seed, sum(map(ord, split))])


def render_shapes_image(rng: np.random.Generator, size: int, max_objects: int,
                        min_visible: float = 0.35) -> Tuple[np.ndarray, List[Dict]]:
    """One image (BGR uint8) and its visible instances ``{'mask', 'label'}``.

    An object is kept only if at least ``min_visible`` of it stays visible, so every target is
    segmentable; draws repeat until the image has at least one object.
    """
    img = draw_background(rng, size)
    objects: List[Tuple[np.ndarray, int, int]] = []  # (visible mask, label, full area)
    count = int(rng.integers(1, max_objects + 1))
    for _ in range(count):
        label = int(rng.integers(len(SHAPE_CLASSES)))
        radius = int(rng.integers(max(3, size // 9), max(4, size // 4) + 1))
        center = tuple(int(c) for c in rng.integers(radius // 2, size - radius // 2, 2))
        full = draw_shape(SHAPE_CLASSES[label], size, center, radius, rng.uniform(0, 2 * np.pi))
        if full.sum() < 9:
            continue
        img[full > 0] = class_colour(rng, label) + rng.normal(0, 4, (int(full.sum()), 3))
        objects = [(m & (1 - full), lab, area) for m, lab, area in objects]
        objects.append((full, label, int(full.sum())))
    instances = [dict(mask=m, label=lab) for m, lab, area in objects
                 if m.sum() >= min_visible * area]
    return np.clip(img, 0, 255).astype(np.uint8), instances


def generate_shapes(root: str, split: str, num_images: int, seed: int = 0, size: int = 64,
                    max_objects: int = 4) -> str:
    """Write ``num_images`` images and the COCO json of ``split`` under ``root``.

    Returns the annotation path. Same arguments give byte-identical files, so concurrent
    writers (DDP ranks) agree; every file is written atomically, the json (the stamp) last.
    """
    ann_file = osp.join(root, 'annotations', f'instances_{split}.json')
    cache.invalidate(ann_file)
    rng = shapes_rng(seed, split)
    images, annotations = [], []
    for i in range(num_images):
        img, instances = render_shapes_image(rng, size, max_objects)
        while not instances:
            img, instances = render_shapes_image(rng, size, max_objects)
        name = f'{split}_{i:05d}.png'
        imwrite_atomic(img, osp.join(root, 'images', split, name))
        images.append(dict(id=i + 1, file_name=name, height=size, width=size))
        for inst in instances:
            rle = mask_utils.encode(np.asfortranarray(inst['mask']))
            x, y, w, h = mask_utils.toBbox(rle).tolist()
            annotations.append(dict(
                id=len(annotations) + 1, image_id=i + 1, category_id=inst['label'] + 1,
                segmentation=dict(size=rle['size'], counts=rle['counts'].decode('ascii')),
                area=float(mask_utils.area(rle)), bbox=[x, y, w, h], iscrowd=0))
    dump_json_atomic(dict(
        info=dict(description='mmsegsup synthetic shapes',
                  **cache.stamp('shapes', seed=seed, size=size, max_objects=max_objects,
                                num_images=num_images)),
        images=images, annotations=annotations,
        categories=[dict(id=k + 1, name=n) for k, n in enumerate(SHAPE_CLASSES)]), ann_file)
    return ann_file

