"""Synthetic shapes for semantic segmentation: the embedded default of the semantic student.

The same pictures as :func:`generate_shapes` (same seed and split give the same image of each
index, so the instance and semantic versions of a split describe one set of images), written in
mmseg's custom layout: ``img_dir/<split>/<name>.png`` and ``ann_dir/<split>/<name>.png``
(palette PNG label maps: 0 = background, k = ``SHAPE_CLASSES[k - 1]``), with
``splits/<split>.txt`` listing the names (a VOC-style ``ann_file``) and
``splits/<split>_synthetic.json`` recording the generator settings.
"""
import copy
import os.path as osp
from typing import Iterator, Optional, Tuple

import numpy as np

from ...formats import synthetic_cache as cache
from ...formats.index_png import write_index_png
from ...utils.io import dump_json_atomic, imwrite_atomic, write_text_atomic
from .scene import SHAPE_CLASSES, SHAPES_PALETTE
from .shapes import render_shapes_image, shapes_rng

SEMANTIC_CLASSES = ('background', *SHAPE_CLASSES)
SEMANTIC_PALETTE = [(0, 0, 0), *SHAPES_PALETTE]


def render_semantic_image(rng: np.random.Generator, size: int,
                          max_objects: int) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """One draw of ``render_shapes_image`` (same rng use) and its class-index map.

    The instance generator drops objects that are mostly hidden; their visible fragments still
    show their class, so a copy of the stream renders once more keeping every object, and the
    map labels each visible pixel by the class of the shape it shows. The map is ``None`` when
    the instance generator would reject the draw (no object kept), so callers redraw as it does.
    """
    img_all, every_object = render_shapes_image(copy.deepcopy(rng), size, max_objects,
                                                min_visible=0.0)
    img, kept = render_shapes_image(rng, size, max_objects)
    assert np.array_equal(img, img_all), 'render_shapes_image must not depend on min_visible'
    if not kept:
        return img, None
    label_map = np.zeros((size, size), np.uint8)
    for obj in every_object:  # visible masks: disjoint
        label_map[obj['mask'] > 0] = obj['label'] + 1
    return img, label_map


def iter_shapes_semantic(split: str, num_images: int, seed: int = 0, size: int = 64,
                         max_objects: int = 4) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """Yield ``(name, image, label_map)``; names and images equal ``generate_shapes``'s."""
    rng = shapes_rng(seed, split)
    for i in range(num_images):
        img, label_map = render_semantic_image(rng, size, max_objects)
        while label_map is None:
            img, label_map = render_semantic_image(rng, size, max_objects)
        yield f'{split}_{i:05d}', img, label_map


def _manifest_path(root: str, split: str) -> str:
    return osp.join(root, 'splits', f'{split}_synthetic.json')


def generate_shapes_semantic(root: str, split: str, num_images: int, seed: int = 0,
                             size: int = 64, max_objects: int = 4) -> None:
    """Write ``num_images`` images, label maps and the split list of ``split`` under ``root``.

    Same arguments give byte-identical files, so concurrent writers (DDP ranks) agree. Every
    file is written atomically; the old manifest is removed first and the new one written last,
    so an interrupted run is regenerated rather than taken for a finished one.
    """
    manifest = _manifest_path(root, split)
    cache.invalidate(manifest)
    names = []
    for name, img, label_map in iter_shapes_semantic(split, num_images, seed, size,
                                                     max_objects):
        imwrite_atomic(img, osp.join(root, 'img_dir', split, name + '.png'))
        write_index_png(label_map, osp.join(root, 'ann_dir', split, name + '.png'),
                        SEMANTIC_PALETTE)
        names.append(name)
    write_text_atomic('\n'.join(names) + '\n', osp.join(root, 'splits', f'{split}.txt'))
    dump_json_atomic(cache.stamp('shapes_semantic', seed=seed, size=size,
                                 max_objects=max_objects, num_images=num_images,
                                 classes=list(SEMANTIC_CLASSES)), manifest)


def shapes_semantic_current(root: str, split: str, **settings) -> bool:
    """Whether ``root`` already holds ``split`` generated with ``settings``."""
    return cache.is_current(_manifest_path(root, split), 'shapes_semantic', settings,
                            requires=[osp.join(root, 'splits', f'{split}.txt')])
