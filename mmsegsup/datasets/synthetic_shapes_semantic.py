"""Synthetic shapes for semantic segmentation: the embedded default of the semantic student.

The same pictures as :func:`generate_shapes` (same seed and split give the same image of each
index, so the instance and semantic versions of a split describe one set of images), written in
mmseg's custom layout: ``img_dir/<split>/<name>.png`` and ``ann_dir/<split>/<name>.png``
(palette PNG label maps: 0 = background, k = ``SHAPE_CLASSES[k - 1]``), with
``splits/<split>.txt`` listing the names (a VOC-style ``ann_file``) and
``splits/<split>_synthetic.json`` recording the generator settings.
"""
import copy
import json
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..utils.errors import DatasetFormatError
from ..utils.io import dump_json_atomic, imwrite_atomic, save_index_png_atomic, write_text_atomic
from .shape_drawing import SHAPE_CLASSES, SHAPES_PALETTE
from .synthetic_shapes import render_shapes_image

SEMANTIC_CLASSES = ('background', *SHAPE_CLASSES)
SEMANTIC_PALETTE = [(0, 0, 0), *SHAPES_PALETTE]
LAYOUT_VERSION = 1


def shapes_rng(seed: int, split: str) -> np.random.Generator:
    """The random stream of ``generate_shapes``: the split is mixed in, so splits differ."""
    return np.random.default_rng([seed, sum(map(ord, split))])


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
    try:
        os.remove(manifest)
    except FileNotFoundError:
        pass
    names = []
    for name, img, label_map in iter_shapes_semantic(split, num_images, seed, size,
                                                     max_objects):
        imwrite_atomic(img, osp.join(root, 'img_dir', split, name + '.png'))
        save_index_png_atomic(label_map, osp.join(root, 'ann_dir', split, name + '.png'),
                              SEMANTIC_PALETTE)
        names.append(name)
    write_text_atomic('\n'.join(names) + '\n', osp.join(root, 'splits', f'{split}.txt'))
    dump_json_atomic(dict(layout_version=LAYOUT_VERSION, seed=seed, size=size,
                          max_objects=max_objects, num_images=num_images,
                          classes=list(SEMANTIC_CLASSES)), manifest)


def shapes_semantic_current(root: str, split: str, **settings) -> bool:
    """Whether ``root`` already holds ``split`` generated with ``settings``."""
    manifest = _manifest_path(root, split)
    if not (osp.isfile(manifest) and osp.isfile(osp.join(root, 'splits', f'{split}.txt'))):
        return False
    try:
        with open(manifest) as f:
            info = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False  # damaged: regenerate
    settings = dict(settings, layout_version=LAYOUT_VERSION)
    return isinstance(info, dict) and all(info.get(k) == v for k, v in settings.items())


@DATASETS.register_module()
class ShapesSemanticDataset(BaseSegDataset):
    """mmseg ``BaseSegDataset`` over synthetic shapes that writes its files on first use.

    Args:
        split: name of the split; also mixed into the seed, so splits never share images.
        num_images / seed / size / max_objects: generator settings (as ``ShapesInstanceDataset``).
        data_root: where the data is written and read.
        **kwargs: ``BaseSegDataset`` arguments (``pipeline``, ``test_mode``...). ``ann_file``
            defaults to the whole split (``splits/<split>.txt``); give a text file of image names,
            one a line, to use a subset, as for VOC.
    """

    METAINFO = dict(classes=SEMANTIC_CLASSES, palette=SEMANTIC_PALETTE)

    def __init__(self, split: str = 'train', num_images: int = 200, seed: int = 0,
                 size: int = 64, max_objects: int = 4, data_root: Optional[str] = None,
                 **kwargs) -> None:
        if data_root is None:
            raise ValueError('ShapesSemanticDataset needs data_root (where to write the data)')
        self.gen_args = dict(split=split, num_images=num_images, seed=seed, size=size,
                             max_objects=max_objects)
        kwargs.setdefault('ann_file', f'splits/{split}.txt')
        kwargs.setdefault('data_prefix', dict(img_path=f'img_dir/{split}',
                                              seg_map_path=f'ann_dir/{split}'))
        kwargs.setdefault('img_suffix', '.png')
        kwargs.setdefault('seg_map_suffix', '.png')
        super().__init__(data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Generate the split if missing (or made with other settings), then read it."""
        if not shapes_semantic_current(self.data_root, **self.gen_args):
            generate_shapes_semantic(self.data_root, **self.gen_args)
        data_list = super().load_data_list()
        missing = [d['img_path'] for d in data_list if not osp.isfile(d['img_path'])]
        if missing:
            raise DatasetFormatError(
                f'{self.ann_file} lists {len(missing)} image(s) not in split '
                f'{self.gen_args["split"]!r}, e.g. {missing[0]}')
        return data_list
