"""Strong / pool splits of BASIS: N strongly labeled images chosen by seed, the rest to label.

One seeded permutation per pool, cut at N, so the subsets of one seed are nested
(100 of VOC's 1464 are among its 200, ...), as when an annotation budget grows.
"""
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np

from ..formats.coco_json import coco_subset, load_coco_json
from ..formats.errors import FormatError
from ..utils.io import dump_json_atomic, write_text_atomic


def choose_strong(names: Sequence, num_strong: int, seed: int = 0,
                  source: str = 'the pool') -> Tuple[list, list]:
    """``(strong, rest)``: ``num_strong`` items of ``names`` picked by ``seed``, both in the
    original order."""
    if isinstance(num_strong, bool) or not isinstance(num_strong, int) or num_strong < 1:
        raise ValueError(f'N (num_strong) must be a positive integer, got {num_strong!r}')
    if num_strong > len(names):
        raise ValueError(f'N={num_strong} strong images is larger than {source}, which has '
                         f'{len(names)} images')
    order = np.random.default_rng(seed).permutation(len(names))
    chosen = set(order[:num_strong].tolist())
    return ([n for i, n in enumerate(names) if i in chosen],
            [n for i, n in enumerate(names) if i not in chosen])


def split_coco(ann_file: str, num_strong: int, seed: int, out_dir: str) -> Tuple[str, str]:
    """Write ``strong-<N>_seed-<S>.json`` (N images with their annotations) and
    ``pool-<N>_seed-<S>.json`` (the other images, without annotations: what pseudo-labelling
    sees) under ``out_dir``; returns their paths. Images keep their ids and file names."""
    coco = load_coco_json(ann_file, keys=('images', ), what='COCO instances file')
    try:
        images = sorted(coco['images'], key=lambda im: im['id'])
    except (KeyError, TypeError) as err:
        raise FormatError(f'{ann_file}: not a COCO instances file ({err})') from err
    strong, rest = choose_strong(images, num_strong, seed, source=ann_file)
    coco = dict(categories=coco.get('categories', []), images=images,
                annotations=coco.get('annotations', []))
    paths = (osp.join(out_dir, f'strong-{num_strong}_seed-{seed}.json'),
             osp.join(out_dir, f'pool-{num_strong}_seed-{seed}.json'))
    dump_json_atomic(coco_subset(coco, [im['id'] for im in strong]), paths[0])
    dump_json_atomic(coco_subset(coco, [im['id'] for im in rest], with_annotations=False),
                     paths[1])
    return paths


def read_list(path: str) -> List[str]:
    """Names of a split file, one per line."""
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


def split_list(list_file: str, num_strong: int, seed: int, out_dir: str) -> Tuple[str, str]:
    """Semantic splits: ``strong-<N>_seed-<S>.txt`` and ``pool-<N>_seed-<S>.txt`` of the image
    names in ``list_file`` (mmseg's ``ann_file`` format)."""
    strong, rest = choose_strong(read_list(list_file), num_strong, seed, source=list_file)
    paths = (osp.join(out_dir, f'strong-{num_strong}_seed-{seed}.txt'),
             osp.join(out_dir, f'pool-{num_strong}_seed-{seed}.txt'))
    for path, names in zip(paths, (strong, rest)):
        write_text_atomic(''.join(n + '\n' for n in names), path)
    return paths
