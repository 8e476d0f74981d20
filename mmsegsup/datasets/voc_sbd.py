"""Pascal VOC 2012 + SBD instance segmentation as an mmdet dataset.

The readers, the split builder (``train_aug``: SBD train + val + VOC train minus VOC val) and
the COCO converter live in :mod:`mmsegsup.formats.voc_sbd` (import them from there). Two ways
to train on the data: build ``VOCSBDInstanceDataset`` directly (reads every annotation file at
start-up, about a minute for train_aug), or convert once with
:func:`~mmsegsup.formats.voc_sbd.voc_sbd_to_coco` (``tools/dataset_converters/voc_sbd_to_coco.py``)
and use mmdet's ``CocoDataset`` with ``metainfo=dict(classes=VOC_CLASSES)`` and
``data_prefix=dict(img='<voc_root>/JPEGImages/')``.
"""
from __future__ import annotations

import os.path as osp
from typing import List, Optional

import numpy as np
import pycocotools.mask as mask_util
from mmdet.datasets.base_det_dataset import BaseDetDataset

from mmsegsup.registry import DATASETS

from ..formats.class_names import VOC_CLASSES
from ..formats.coco_json import masks_to_rles
from ..formats.palettes import voc_palette
from ..formats.voc_sbd import build_voc_sbd_split, iter_annotated

__all__ = ['VOCSBDInstanceDataset']


@DATASETS.register_module()
class VOCSBDInstanceDataset(BaseDetDataset):
    """VOC 2012 (+ SBD) instance segmentation read straight from the original files.

    Args:
        voc_root: the ``VOC2012`` folder; joined to ``data_root`` when relative.
        sbd_root: SBD's ``dataset`` folder (or ``benchmark_RELEASE``); needed for
            'train_aug', optional otherwise (fallback for ids VOC lacks).
        split: 'train', 'val' or 'train_aug'.
        **kwargs: passed to ``BaseDetDataset`` (pipeline, filter_cfg, test_mode,
            metainfo, ...). ``metainfo=dict(classes=...)`` may select a subset of
            ``VOC_CLASSES``; other instances are dropped and labels re-indexed.
    """

    METAINFO = {
        'classes': VOC_CLASSES,
        'palette': voc_palette(len(VOC_CLASSES) + 1)[1:],
    }

    def __init__(self,
                 voc_root: str,
                 sbd_root: Optional[str] = None,
                 split: str = 'train',
                 **kwargs) -> None:
        data_root = kwargs.get('data_root')
        if data_root:
            voc_root = osp.join(data_root, voc_root)
            sbd_root = osp.join(data_root, sbd_root) if sbd_root else None
        self.voc_root = voc_root
        self.sbd_root = sbd_root
        self.split = split
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """mmdet data infos; masks are RLE dicts that ``LoadAnnotations`` decodes."""
        classes = tuple(self.metainfo['classes'])
        unknown = [c for c in classes if c not in VOC_CLASSES]
        if unknown:
            raise ValueError(f'classes {unknown} are not VOC classes {VOC_CLASSES}')
        voc2label = {VOC_CLASSES.index(c): i for i, c in enumerate(classes)}

        entries = build_voc_sbd_split(self.voc_root, self.sbd_root, self.split)
        data_list = []
        for entry, height, width, masks, labels in iter_annotated(entries):
            rles = masks_to_rles(masks)
            boxes = mask_util.toBbox(rles) if rles else np.zeros((0, 4))
            instances = []
            for rle, box, voc_label in zip(rles, boxes, labels):
                if int(voc_label) not in voc2label:
                    continue
                x, y, w, h = (float(v) for v in box)
                instances.append(
                    dict(
                        bbox=[x, y, x + w, y + h],
                        bbox_label=voc2label[int(voc_label)],
                        ignore_flag=0,
                        mask=rle))
            data_list.append(
                dict(
                    img_path=entry.img_path,
                    img_id=entry.img_id,
                    height=height,
                    width=width,
                    ann_source=entry.source,
                    instances=instances))
        return data_list

    def filter_data(self) -> List[dict]:
        """Same rules as mmdet's CocoDataset: ``filter_empty_gt`` and ``min_size``."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        return [
            info for info in self.data_list
            if not (filter_empty_gt and len(info['instances']) == 0)
            and min(info['width'], info['height']) >= min_size
        ]
