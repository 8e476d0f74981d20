"""A tiny RefCOCO folder in the refer toolkit's layout (``refs(unc).p`` + ``instances.json`` +
COCO train2014 images), shared by the dataset tests and the tools tests that run a model on it.

Three images (20x30, 16x24, 18x18), six referred objects whose masks use every COCO encoding
(polygon, two polygons, uncompressed and compressed RLE), one to two sentences each, spread
over train / val / testA / testB.
"""
import json
import os
import os.path as osp
import pickle
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

IMG_DIR = 'images/mscoco/images/train2014'
SIZES = {1: (20, 30), 2: (16, 24), 3: (18, 18)}  # image_id -> (height, width)


def image_file_name(image_id: int) -> str:
    return f'COCO_train2014_{image_id:012d}.jpg'


def rect(y0: int, y1: int, x0: int, x1: int, size: Tuple[int, int]) -> np.ndarray:
    mask = np.zeros(size, np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE, written by hand: column-major runs starting with zeros."""
    flat = mask.flatten(order='F')
    counts, value, run_len = [], 0, 0
    for v in flat:
        if v != value:
            counts.append(run_len)
            value, run_len = v, 0
        run_len += 1
    counts.append(run_len)
    return {'counts': counts, 'size': list(mask.shape)}


# the referents' true masks, against which the decoded ones are compared
MASK_101 = rect(2, 10, 2, 12, SIZES[1])  # polygon [2,2, 12,2, 12,10, 2,10]
MASK_201 = rect(4, 10, 5, 15, SIZES[2])  # uncompressed RLE
MASK_301 = rect(1, 5, 1, 5, SIZES[3]) | rect(10, 16, 10, 16, SIZES[3])  # two polygons
MASK_302 = rect(6, 9, 2, 17, SIZES[3])  # compressed RLE


def default_instances() -> dict:
    rle_302 = mask_utils.encode(np.asfortranarray(MASK_302))
    rle_302['counts'] = rle_302['counts'].decode('ascii')
    anns = [
        dict(id=101, image_id=1, category_id=1, segmentation=[[2, 2, 12, 2, 12, 10, 2, 10]]),
        dict(id=102, image_id=1, category_id=1, segmentation=[[15, 2, 25, 2, 25, 12, 15, 12]]),
        dict(id=103, image_id=1, category_id=18, segmentation=[[3, 13, 9, 13, 9, 18, 3, 18]]),
        dict(id=201, image_id=2, category_id=17, segmentation=uncompressed_rle(MASK_201),
             iscrowd=0),
        dict(id=301, image_id=3, category_id=3,
             segmentation=[[1, 1, 5, 1, 5, 5, 1, 5], [10, 10, 16, 10, 16, 16, 10, 16]]),
        dict(id=302, image_id=3, category_id=3, segmentation=rle_302),
    ]
    for ann in anns:
        ann.setdefault('iscrowd', 0)
        ann.update(area=1.0, bbox=[0, 0, 1, 1])
    images = [dict(id=i, file_name=image_file_name(i), height=h, width=w)
              for i, (h, w) in SIZES.items()]
    cats = [dict(id=1, name='person', supercategory='person'),
            dict(id=3, name='car', supercategory='vehicle'),
            dict(id=17, name='cat', supercategory='animal'),
            dict(id=18, name='dog', supercategory='animal')]
    return dict(images=images, annotations=anns, categories=cats)


def make_ref(ref_id: int, ann_id: int, image_id: int, category_id: int, split: str,
             sents: Sequence[Tuple[int, str]]) -> dict:
    sentences = [dict(tokens=raw.lower().split(), raw=raw, sent_id=sid, sent=raw.lower())
                 for sid, raw in sents]
    return dict(ref_id=ref_id, ann_id=ann_id, image_id=image_id, category_id=category_id,
                split=split, sentences=sentences, sent_ids=[s for s, _ in sents],
                file_name=f'COCO_train2014_{image_id:012d}_{ann_id}.jpg')


def default_refs() -> List[dict]:
    return [
        make_ref(0, 101, 1, 1, 'train', [(0, 'Man on the left'), (1, 'left guy')]),
        make_ref(1, 102, 1, 1, 'testA', [(2, 'right man')]),
        make_ref(2, 103, 1, 18, 'testB', [(3, 'dog')]),
        make_ref(3, 201, 2, 17, 'val', [(4, 'cat'), (5, 'the white cat')]),
        make_ref(4, 301, 3, 3, 'train', [(6, 'car in two parts')]),
        make_ref(5, 302, 3, 3, 'val', [(7, 'the other car')]),
    ]


def write_refer(root: str, refs: Optional[object] = None, instances: Optional[object] = None,
                dataset: str = 'refcoco', split_by: str = 'unc') -> None:
    """``root/dataset/refs(split_by).p`` (pickle protocol 2, as the refer toolkit's) and
    ``instances.json``; defaults :func:`default_refs` / :func:`default_instances`."""
    os.makedirs(osp.join(root, dataset), exist_ok=True)
    with open(osp.join(root, dataset, f'refs({split_by}).p'), 'wb') as f:
        pickle.dump(default_refs() if refs is None else refs, f, protocol=2)
    with open(osp.join(root, dataset, 'instances.json'), 'w') as f:
        json.dump(default_instances() if instances is None else instances, f)


def write_refer_root(root: str) -> str:
    """The whole folder under ``root``: random images at :data:`SIZES` and the refer files."""
    os.makedirs(osp.join(root, IMG_DIR))
    rng = np.random.default_rng(0)
    for image_id, (h, w) in SIZES.items():
        img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(root, IMG_DIR, image_file_name(image_id)), img)
    write_refer(root)
    return root
