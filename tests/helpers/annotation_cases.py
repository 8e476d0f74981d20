"""Awkward instance masks for the annotation-tool round trips (Label Studio, CVAT): holes,
several parts, masks touching every border, 1-pixel objects, odd and non-square sizes, an
image with no object."""
from typing import Dict, List, Tuple

import numpy as np

from mmsegsup.formats.coco_json import masks_to_rles

#: Non-contiguous ids, a name with a space and XML-special characters.
CATEGORIES = [{'id': 1, 'name': 'cat'}, {'id': 2, 'name': 'traffic light'},
              {'id': 7, 'name': 'a<b & "c"'}]


def _disk(h: int, w: int, cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy)**2 + (xx - cx)**2 <= r * r


def awkward_masks(seed: int = 0) -> Dict[str, Tuple[Tuple[int, int], List[np.ndarray]]]:
    """``file_name -> ((height, width), masks)``."""
    rng = np.random.default_rng(seed)
    h, w = 37, 53
    ring = _disk(h, w, 18, 26, 15) & ~_disk(h, w, 18, 26, 6)  # a hole
    parts = _disk(h, w, 5, 5, 3) | _disk(h, w, 30, 45, 4)  # two parts
    corner = np.zeros((h, w), bool)
    corner[0, 0] = True  # a 1-pixel object in a corner
    frame = np.ones((53, 37), bool)
    frame[3:-3, 4:-4] = False  # touches all four borders, one big hole
    dot = np.zeros((53, 37), bool)
    dot[26, 18] = True
    diagonal = np.eye(53, 37, dtype=bool)  # 1-pixel-wide, touches two corners
    full = np.ones((7, 300), bool)  # the whole (very non-square) image
    noise = rng.random((7, 300)) < 0.4  # many tiny parts
    return {'odd/a.png': ((h, w), [ring, parts, corner]),
            'odd/b.png': ((53, 37), [frame, dot, diagonal]),
            'c.jpg': ((7, 300), [full, noise]),
            'd.png': ((1, 1), [np.ones((1, 1), bool)]),
            'empty.png': ((16, 16), [])}


def awkward_coco(seed: int = 0) -> Tuple[dict, List[dict], List[np.ndarray]]:
    """The images to label (non-contiguous ids), our predictions on them (COCO results,
    compressed RLE) and their masks, in the same order."""
    images, predictions, masks = [], [], []
    for k, (name, ((h, w), image_masks)) in enumerate(awkward_masks(seed).items()):
        image_id = 10 * k + 3
        images.append({'id': image_id, 'file_name': name, 'height': h, 'width': w})
        rles = masks_to_rles(np.stack(image_masks)) if image_masks else []
        for j, (mask, rle) in enumerate(zip(image_masks, rles)):
            predictions.append({'image_id': image_id, 'segmentation': rle,
                                'category_id': CATEGORIES[j % 3]['id'],
                                'score': round(0.3 + 0.1 * j, 2)})
            masks.append(mask)
    coco = {'images': images, 'annotations': [], 'categories': [dict(c) for c in CATEGORIES]}
    return coco, predictions, masks


def annotation_masks(coco: dict) -> List[np.ndarray]:
    """The masks of ``coco``'s annotations (in image order, then file order) as bool arrays."""
    import pycocotools.mask as mask_util
    order = {im['id']: k for k, im in enumerate(coco['images'])}
    anns = sorted(coco['annotations'], key=lambda a: order[a['image_id']])
    return [mask_util.decode(dict(a['segmentation'],
                                  counts=a['segmentation']['counts'].encode())).astype(bool)
            for a in anns]
