"""Pipeline step that reads the referent's binary mask of a referring sample.

Every referring dataset (RefCOCO/+/g, A2D-Sentences, DAVIS-2017 REs, synthetic referring shapes)
describes where its referent's mask lives with a small ``ref_mask`` dict instead of a label-map
path, because the mask is one object of an instance annotation (a COCO polygon, an id in a DAVIS
index PNG, an instance of an A2D ``.h5`` file). This transform turns any of them into the 2-class
map mmseg expects (``gt_seg_map``: uint8, 1 = referent, 0 = background), so ``Resize``,
``RandomCrop`` and ``PackSegInputs`` handle it like any semantic label map.
"""
from typing import Optional, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmsegsup.registry import SEG_TRANSFORMS as TRANSFORMS

from ...formats.errors import FormatError
from ...formats.index_png import read_index_png

REF_MASK_TYPES = ('coco', 'index_png', 'a2d_h5', 'none')
COCO_OVERLAPS = ('union', 'exactly_one')


def _field(ref_mask: dict, key: str, where: str):
    if key not in ref_mask:
        raise FormatError(f'{where}: ref_mask of type {ref_mask.get("type")!r} lacks '
                          f'the field {key!r} (got keys {sorted(ref_mask)})')
    return ref_mask[key]


def decode_coco_mask(segmentation: Union[list, dict], height: int, width: int,
                     where: str = 'ref_mask', overlap: str = 'union') -> np.ndarray:
    """A COCO ``segmentation`` (polygons, uncompressed or compressed RLE) as a uint8 mask.

    Polygons with fewer than three points cover no pixel and are skipped (pycocotools would
    misread a 2-point one as a box); ``where`` names the sample in error messages.
    ``overlap`` decides the pixels where polygons of the segmentation overlap: ``'union'``
    keeps them; ``'exactly_one'`` keeps only the pixels covered by exactly one polygon, as the
    original RefVOS does (the refer toolkit's ``getMask`` sums the polygons' masks,
    refer.py:286-288, and dataset_refer_bert.py:100-102 keeps the value 1), so where two parts
    of the referent overlap its target is background.
    """
    from pycocotools import mask as mask_utils
    if overlap not in COCO_OVERLAPS:
        raise ValueError(f'overlap must be one of {COCO_OVERLAPS}, got {overlap!r}')
    height, width = int(height), int(width)
    if isinstance(segmentation, list):
        polygons = []
        for poly in segmentation:
            if not isinstance(poly, (list, tuple)) or len(poly) % 2:
                raise FormatError(
                    f'{where}: a COCO polygon must be a flat list of x, y coordinates of even '
                    f'length, got {poly!r:.80}')
            if len(poly) >= 6:
                polygons.append([float(v) for v in poly])
        if not polygons:
            return np.zeros((height, width), np.uint8)
        if overlap == 'exactly_one':
            counts = mask_utils.decode(mask_utils.frPyObjects(polygons, height, width)).sum(2)
            return (counts == 1).astype(np.uint8)
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    elif isinstance(segmentation, dict) and 'counts' in segmentation and 'size' in segmentation:
        if [int(v) for v in segmentation['size']] != [height, width]:
            raise FormatError(
                f'{where}: RLE size {list(segmentation["size"])} differs from the image size '
                f'[{height}, {width}] given with it')
        if isinstance(segmentation['counts'], list):  # uncompressed RLE
            rle = mask_utils.frPyObjects(segmentation, height, width)
        else:
            rle = segmentation
    else:
        raise FormatError(
            f'{where}: expected a COCO segmentation (list of polygons or an RLE dict with '
            f'"counts" and "size"), got {type(segmentation).__name__}')
    return (mask_utils.decode(rle) > 0).astype(np.uint8)


def read_index_png_mask(path: str, obj_id: int) -> np.ndarray:
    """``png == obj_id`` as uint8 from a DAVIS-style palette (or gray) index PNG.

    An object absent from the frame gives an empty mask: objects leave and re-enter videos.
    """
    return (read_index_png(path, 'referring mask') == int(obj_id)).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadReferringMask(BaseTransform):
    """Set ``results['gt_seg_map']`` (1 = referent) from ``results['ref_mask']``.

    ``ref_mask`` types (the referring data contract):

    * ``{'type': 'coco', 'segmentation', 'height', 'width'}``: COCO polygons or RLE;
    * ``{'type': 'index_png', 'path', 'obj_id'}``: pixels equal to ``obj_id``;
    * ``{'type': 'a2d_h5', 'path', 'instance_id'}``: A2D-Sentences instance ``.h5`` files;
      with ``'absent': True`` the instance is not annotated in that frame and the mask is
      empty at the image's size (the original RefVOS's A2D frames without the actor);
    * ``{'type': 'none'}``: no ground truth (test-dev style data); nothing is set.

    Put it after ``LoadImageFromFile``: the mask must have the image's size (``ori_shape``, or
    ``img_shape`` when no original shape is known), otherwise an error names the image and the
    mask source, as a mismatch means the annotation belongs to another file.

    Args:
        coco_overlap: pixels where COCO polygons of one referent overlap: ``'union'`` (ours)
            or ``'exactly_one'`` (the original RefVOS: background there; see
            :func:`decode_coco_mask`).
    """

    def __init__(self, coco_overlap: str = 'union') -> None:
        if coco_overlap not in COCO_OVERLAPS:
            raise ValueError(f'coco_overlap must be one of {COCO_OVERLAPS}, got '
                             f'{coco_overlap!r}')
        self.coco_overlap = coco_overlap

    def transform(self, results: dict) -> Optional[dict]:
        ref_mask = results.get('ref_mask')
        where = results.get('img_path', '<sample without img_path>')
        if not isinstance(ref_mask, dict):
            raise ValueError(f'{where}: LoadReferringMask needs results["ref_mask"] (a dict, see '
                             f'mmsegsup.datasets.transforms.referring), got {ref_mask!r:.80}')
        kind = ref_mask.get('type')
        if kind == 'none':
            return results
        if kind == 'coco':
            mask = decode_coco_mask(_field(ref_mask, 'segmentation', where),
                                    _field(ref_mask, 'height', where),
                                    _field(ref_mask, 'width', where), where=where,
                                    overlap=self.coco_overlap)
            source = f'the COCO segmentation of {where}'
        elif kind == 'index_png':
            path = _field(ref_mask, 'path', where)
            mask = read_index_png_mask(path, _field(ref_mask, 'obj_id', where))
            source = f'{path} (obj_id {ref_mask["obj_id"]})'
        elif kind == 'a2d_h5':
            from ...formats.a2d_sentences import read_a2d_instance_mask  # h5py on first use
            path = _field(ref_mask, 'path', where)
            instance_id = _field(ref_mask, 'instance_id', where)
            source = f'{path} (instance_id {instance_id})'
            if ref_mask.get('absent'):
                shape = results.get('ori_shape', results.get('img_shape'))
                if shape is None:
                    raise ValueError(f'{where}: an absent A2D referent needs the image loaded '
                                     'first (LoadImageFromFile before LoadReferringMask)')
                mask = np.zeros(tuple(shape[:2]), np.uint8)
            else:
                mask = (np.asarray(read_a2d_instance_mask(path, instance_id)) > 0).astype(
                    np.uint8)
        else:
            raise ValueError(f'{where}: unknown ref_mask type {kind!r}; expected one of '
                             f'{REF_MASK_TYPES}')
        self._check_size(mask.shape, results, where, source)
        results['gt_seg_map'] = mask
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')
        return results

    @staticmethod
    def _check_size(shape: Tuple[int, ...], results: dict, where: str, source: str) -> None:
        expected = results.get('ori_shape', results.get('img_shape'))
        if expected is None:
            return
        if tuple(shape) != tuple(expected[:2]):
            raise FormatError(
                f'image {where} is {expected[0]}x{expected[1]} (HxW) but its referent mask from '
                f'{source} is {shape[0]}x{shape[1]}')
