"""Pascal VOC 2012 + SBD instance annotations: the readers, the split builder and the COCO
conversion (the dataset that reads them is :class:`mmsegsup.datasets.VOCSBDInstanceDataset`).

VOC 2012 ships instance masks for only 2913 images (train 1464 + val 1449); the
Semantic Boundaries Dataset (SBD, Hariharan et al. 2011) adds instance masks for
about 11k images of the same pool. The usual training set, ``train_aug`` (10582
images), is SBD train + SBD val + VOC train with every VOC val image removed so
that evaluating on VOC val stays clean.

Expected layouts (the ones the archives unpack to)::

    voc_root = .../VOCdevkit/VOC2012
        JPEGImages/<id>.jpg
        SegmentationObject/<id>.png   indexed PNG: 0 background, k>0 instance k, 255 void
        SegmentationClass/<id>.png    indexed PNG: 0 background, 1..20 class, 255 void
        ImageSets/Segmentation/{train,val}.txt
    sbd_root = .../benchmark_RELEASE/dataset   (benchmark_RELEASE itself also works)
        img/<id>.jpg
        inst/<id>.mat   struct GTinst: Segmentation (HxW ids), Categories (1-based class per id)
        cls/<id>.mat    struct GTcls: Segmentation (HxW classes)
        {train,val}.txt

Bad files raise :class:`~mmsegsup.formats.errors.FormatError` (a ``ValueError``) naming the
file; missing ones :class:`~mmsegsup.formats.errors.MissingFileError` (a
``FileNotFoundError``). :func:`voc_sbd_to_coco` (``tools/dataset_converters/voc_sbd_to_coco.py``)
writes a split as a COCO instances json for mmdet's ``CocoDataset`` with
``metainfo=dict(classes=VOC_CLASSES)`` and ``data_prefix=dict(img='<voc_root>/JPEGImages/')``.
"""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import pycocotools.mask as mask_util
import scipy.io
from mmengine.dist import is_main_process
from mmengine.utils import track_iter_progress
from PIL import Image

from ..utils.io import dump_json_atomic
from .class_names import VOC_CLASSES
from .coco_json import masks_to_rles
from .errors import FormatError, MissingFileError
from .id_lists import read_id_list
from .index_png import read_index_png

__all__ = [
    'VOID_INDEX', 'SPLITS', 'load_voc_instances', 'load_sbd_instances', 'read_split',
    'VOCSBDEntry', 'build_voc_sbd_split', 'iter_annotated', 'voc_sbd_to_coco'
]

VOID_INDEX = 255  # object boundaries and difficult regions in VOC PNGs
SPLITS = ('train', 'val', 'train_aug')

Masks = np.ndarray  # (N, H, W) uint8 in {0, 1}
Labels = np.ndarray  # (N,) int64, 0-based index into VOC_CLASSES


# ---------------------------------------------------------------- file readers


def _require_file(path: str, what: str) -> None:
    """Fail early with the full path: a missing file deep in a 10k-image loop is hard to find."""
    if not osp.isfile(path):
        raise MissingFileError(f'{what} not found: {path}', path)


def _check_same_size(path: str, shape: Tuple[int, ...], other: str,
                     other_shape: Tuple[int, ...]) -> None:
    """Two files of one image (object / class map, annotation / image) agree in size."""
    if tuple(shape) != tuple(other_shape):
        raise FormatError(f'size mismatch between {path} {tuple(shape)} and '
                          f'{other} {tuple(other_shape)}', path)


def _read_index_png(path: str) -> np.ndarray:
    """Palette indices of a VOC PNG (not the colours, which an RGB conversion would give)."""
    return read_index_png(path, 'VOC annotation PNG', 'label indices')


def _vote_class(cls_pixels: np.ndarray) -> int:
    """Majority class (1..20) of one instance; background and void do not vote."""
    votes = cls_pixels[(cls_pixels >= 1) & (cls_pixels <= len(VOC_CLASSES))]
    if votes.size == 0:
        return -1
    return int(np.bincount(votes, minlength=len(VOC_CLASSES) + 1).argmax())


def _stack(masks: List[np.ndarray], labels: List[int], shape: Tuple[int, ...]
           ) -> Tuple[Masks, Labels]:
    """Fixed dtypes/shapes, also when an image has no instance."""
    if masks:
        return np.stack(masks).astype(np.uint8), np.asarray(labels, dtype=np.int64)
    return np.zeros((0, *shape), dtype=np.uint8), np.zeros((0, ), dtype=np.int64)


def load_voc_instances(obj_png: str, cls_png: str) -> Tuple[Masks, Labels]:
    """Instance masks and 0-based labels from VOC ``SegmentationObject`` + ``SegmentationClass``.

    The object PNG only numbers instances; their class lives in the class PNG, so
    each instance takes the majority class over its pixels (void 255 and
    background 0 excluded). Void pixels belong to no mask. Instances are ordered
    by their id in the object PNG.
    """
    obj = _read_index_png(obj_png)
    cls = _read_index_png(cls_png)
    _check_same_size(obj_png, obj.shape, cls_png, cls.shape)
    masks: List[np.ndarray] = []
    labels: List[int] = []
    for inst_id in np.unique(obj):
        if inst_id == 0 or inst_id == VOID_INDEX:
            continue
        mask = obj == inst_id
        cls_idx = _vote_class(cls[mask])
        if cls_idx < 0:
            raise FormatError(f'instance {int(inst_id)} of {obj_png} covers no class pixel '
                              f'(1..{len(VOC_CLASSES)}) in {cls_png}', cls_png)
        masks.append(mask)
        labels.append(cls_idx - 1)
    return _stack(masks, labels, obj.shape)


def _load_mat_struct(path: str, name: str) -> object:
    """Top-level MATLAB struct ``name`` with fields as attributes (SBD's storage format)."""
    _require_file(path, 'SBD annotation .mat')
    try:
        data = scipy.io.loadmat(path, struct_as_record=False, squeeze_me=True)
    except Exception as err:  # scipy raises several unrelated types on corrupt files
        raise FormatError(f'cannot read SBD annotation .mat {path}: {err}', path) from err
    if name not in data:
        keys = sorted(k for k in data if not k.startswith('__'))
        raise FormatError(f'{path}: no struct {name!r} (variables: {keys})', path)
    struct = data[name]
    if isinstance(struct, np.ndarray) and struct.dtype == object and struct.size == 1:
        struct = struct.item()
    return struct


def _mat_field(struct: object, path: str, name: str, field: str) -> np.ndarray:
    """A field of a loaded struct, with an error naming file, struct and field."""
    if not hasattr(struct, field):
        raise FormatError(f'{path}: struct {name!r} has no field {field!r}', path)
    return np.asarray(getattr(struct, field))


def _mat_segmentation(struct: object, path: str, name: str) -> np.ndarray:
    seg = _mat_field(struct, path, name, 'Segmentation')
    if seg.ndim != 2 or not np.issubdtype(seg.dtype, np.number):
        raise FormatError(f'{path}: {name}.Segmentation should be a 2-D label map, got '
                          f'shape {seg.shape} dtype {seg.dtype}', path)
    return seg.astype(np.int64)


def load_sbd_instances(inst_mat: str, cls_mat: str) -> Tuple[Masks, Labels]:
    """Instance masks and 0-based labels from SBD ``inst/<id>.mat`` (+ ``cls/<id>.mat``).

    SBD stores the class of instance k as ``GTinst.Categories[k-1]`` (1-based), so
    no voting is needed; ``cls_mat`` is read to catch a mismatched pair of files.
    """
    inst = _load_mat_struct(inst_mat, 'GTinst')
    seg = _mat_segmentation(inst, inst_mat, 'GTinst')
    # squeeze_me turns a single category into a 0-d array and none into shape (0,)
    cats = np.atleast_1d(_mat_field(inst, inst_mat, 'GTinst', 'Categories')).ravel()
    cls_seg = _mat_segmentation(_load_mat_struct(cls_mat, 'GTcls'), cls_mat, 'GTcls')
    _check_same_size(inst_mat, seg.shape, cls_mat, cls_seg.shape)
    masks: List[np.ndarray] = []
    labels: List[int] = []
    for inst_id in np.unique(seg):
        if inst_id == 0 or (inst_id == VOID_INDEX and cats.size < VOID_INDEX):
            continue
        if inst_id > cats.size:
            raise FormatError(f'{inst_mat}: instance id {int(inst_id)} in GTinst.Segmentation '
                              f'but GTinst.Categories has only {cats.size} entries', inst_mat)
        cat = int(cats[inst_id - 1])
        if not 1 <= cat <= len(VOC_CLASSES):
            raise FormatError(f'{inst_mat}: GTinst.Categories[{int(inst_id) - 1}] = {cat} is '
                              f'not a class index in 1..{len(VOC_CLASSES)}', inst_mat)
        masks.append(seg == inst_id)
        labels.append(cat - 1)
    return _stack(masks, labels, seg.shape)


# ---------------------------------------------------------------------- splits


def read_split(list_file: str) -> List[str]:
    """Image ids of a VOC/SBD list file (first token per line, blank lines skipped)."""
    return read_id_list(list_file, 'split list')


@dataclass(frozen=True)
class VOCSBDEntry:
    """One image of a split and where its annotation comes from ('voc' or 'sbd')."""
    img_id: str
    img_path: str
    source: str
    inst_path: str
    cls_path: str

    def load(self) -> Tuple[Masks, Labels]:
        """Masks and labels from whichever annotation source the split chose."""
        if self.source == 'voc':
            return load_voc_instances(self.inst_path, self.cls_path)
        return load_sbd_instances(self.inst_path, self.cls_path)


def _resolve_sbd_root(sbd_root: str) -> str:
    """Accept both ``benchmark_RELEASE`` and its ``dataset`` folder, as people pass either."""
    nested = osp.join(sbd_root, 'dataset')
    if not osp.isfile(osp.join(sbd_root, 'train.txt')) and osp.isfile(
            osp.join(nested, 'train.txt')):
        return nested
    return sbd_root


def _make_entry(img_id: str, voc_root: str, sbd_root: Optional[str]) -> VOCSBDEntry:
    """VOC annotations win over SBD: they are the finer, official ones."""
    voc_obj = osp.join(voc_root, 'SegmentationObject', f'{img_id}.png')
    sbd_inst = osp.join(sbd_root, 'inst', f'{img_id}.mat') if sbd_root else None
    if osp.isfile(voc_obj):
        source, inst_path = 'voc', voc_obj
        cls_path = osp.join(voc_root, 'SegmentationClass', f'{img_id}.png')
    elif sbd_inst is not None and osp.isfile(sbd_inst):
        source, inst_path = 'sbd', sbd_inst
        cls_path = osp.join(sbd_root, 'cls', f'{img_id}.mat')  # type: ignore[arg-type]
    else:
        tried = voc_obj if sbd_inst is None else f'{voc_obj} or {sbd_inst}'
        raise MissingFileError(f'no instance annotation for image {img_id!r}: {tried}', voc_obj)

    voc_img = osp.join(voc_root, 'JPEGImages', f'{img_id}.jpg')
    sbd_img = osp.join(sbd_root, 'img', f'{img_id}.jpg') if sbd_root else None
    if osp.isfile(voc_img):
        img_path = voc_img
    elif sbd_img is not None and osp.isfile(sbd_img):
        img_path = sbd_img
    else:
        tried = voc_img if sbd_img is None else f'{voc_img} or {sbd_img}'
        raise MissingFileError(f'image {img_id!r} not found: {tried}', voc_img)
    return VOCSBDEntry(img_id, img_path, source, inst_path, cls_path)


def build_voc_sbd_split(voc_root: str,
                        sbd_root: Optional[str] = None,
                        split: str = 'train') -> List[VOCSBDEntry]:
    """Entries of ``split``: 'train' / 'val' (VOC lists) or 'train_aug' (needs SBD).

    train_aug = (SBD train | SBD val | VOC train) - VOC val, sorted; 10582 ids on
    the real data. Every id picks VOC annotations when VOC has them, else SBD,
    and the VOC image when present, else SBD's copy.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    voc_lists = osp.join(voc_root, 'ImageSets', 'Segmentation')
    sbd = _resolve_sbd_root(sbd_root) if sbd_root else None
    if split == 'train_aug':
        if sbd is None:
            raise ValueError("split 'train_aug' needs sbd_root (the SBD dataset folder)")
        voc_val = set(read_split(osp.join(voc_lists, 'val.txt')))
        pool = set(read_split(osp.join(sbd, 'train.txt')))
        pool |= set(read_split(osp.join(sbd, 'val.txt')))
        pool |= set(read_split(osp.join(voc_lists, 'train.txt')))
        ids = sorted(pool - voc_val)
    else:
        ids = list(dict.fromkeys(read_split(osp.join(voc_lists, f'{split}.txt'))))
    return [_make_entry(img_id, voc_root, sbd) for img_id in ids]


# ------------------------------------------------------------------ conversion


def _image_size(path: str) -> Tuple[int, int]:
    """(height, width) from the JPEG header only."""
    try:
        with Image.open(path) as img:
            width, height = img.size
    except OSError as err:
        raise FormatError(f'cannot read image {path}: {err}', path) from err
    return height, width


def iter_annotated(entries: Sequence[VOCSBDEntry]
                   ) -> Iterator[Tuple[VOCSBDEntry, int, int, Masks, Labels]]:
    """``(entry, height, width, masks, labels)`` of every entry, checking that the annotation
    matches its image in size; a progress bar on the main process when there are several."""
    items = (track_iter_progress(list(entries))
             if len(entries) > 1 and is_main_process() else entries)
    for entry in items:
        masks, labels = entry.load()
        height, width = _image_size(entry.img_path)
        _check_same_size(entry.img_path, (height, width), entry.inst_path, masks.shape[1:])
        yield entry, height, width, masks, labels


def voc_sbd_to_coco(voc_root: str, sbd_root: Optional[str], split: str,
                    out_json: str) -> dict:
    """Write ``split`` as a COCO instances json and return its counts.

    Category ids are 1..20 in ``VOC_CLASSES`` order. ``file_name`` is relative to
    ``<voc_root>/JPEGImages`` (absolute for an image found only in SBD), so use
    ``data_prefix=dict(img='<voc_root>/JPEGImages/')`` in mmdet's CocoDataset.
    Each image also keeps its VOC id (``voc_id``) and annotation source.
    """
    entries = build_voc_sbd_split(voc_root, sbd_root, split)
    jpeg_dir = osp.abspath(osp.join(voc_root, 'JPEGImages'))
    images: List[dict] = []
    annotations: List[dict] = []
    for image_id, (entry, height, width, masks, labels) in enumerate(
            iter_annotated(entries), start=1):
        img_path = osp.abspath(entry.img_path)
        file_name = (osp.relpath(img_path, jpeg_dir)
                     if osp.dirname(img_path) == jpeg_dir else img_path)
        images.append(
            dict(
                id=image_id,
                file_name=file_name,
                height=height,
                width=width,
                voc_id=entry.img_id,
                ann_source=entry.source))
        rles = masks_to_rles(masks)
        if not rles:
            continue
        areas = mask_util.area(rles)
        boxes = mask_util.toBbox(rles)
        for rle, area, box, label in zip(rles, areas, boxes, labels):
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=int(label) + 1,
                    segmentation=rle,
                    area=float(area),
                    bbox=[float(v) for v in box],
                    iscrowd=0))
    coco = dict(
        info=dict(description=f'Pascal VOC 2012 + SBD instances, split {split}'),
        images=images,
        annotations=annotations,
        categories=[dict(id=i + 1, name=name) for i, name in enumerate(VOC_CLASSES)])
    dump_json_atomic(coco, out_json)
    return dict(images=len(images), annotations=len(annotations))
