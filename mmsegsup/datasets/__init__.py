"""Datasets: importing this registers them in mmdet's DATASETS."""
from .synthetic_shapes import SHAPE_CLASSES, ShapesInstanceDataset, generate_shapes
from .voc_sbd import (SPLITS, VOC_CLASSES, VOCSBDEntry, VOCSBDInstanceDataset,
                      build_voc_sbd_split, load_sbd_instances, load_voc_instances,
                      masks_to_rles, read_split, voc_palette, voc_sbd_to_coco)

__all__ = [
    'SHAPE_CLASSES', 'ShapesInstanceDataset', 'generate_shapes', 'SPLITS', 'VOC_CLASSES',
    'VOCSBDEntry', 'VOCSBDInstanceDataset', 'build_voc_sbd_split', 'load_sbd_instances',
    'load_voc_instances', 'masks_to_rles', 'read_split', 'voc_palette', 'voc_sbd_to_coco'
]
