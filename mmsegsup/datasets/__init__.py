"""Datasets: importing this registers them in mmdet's DATASETS."""
from .coco_checked import CheckedCocoDataset
from .davis import DAVISVideoDataset, ShapesVideoDataset
from .synthetic_shapes import SHAPE_CLASSES, ShapesInstanceDataset, generate_shapes
from .synthetic_videos import generate_shapes_videos
from .transforms import CheckImageAnnotations, LoadVideoObjectAnnotations, VideoClipSample
from .voc_sbd import (SPLITS, VOC_CLASSES, VOCSBDEntry, VOCSBDInstanceDataset,
                      build_voc_sbd_split, load_sbd_instances, load_voc_instances,
                      masks_to_rles, read_split, voc_palette, voc_sbd_to_coco)

__all__ = [
    'CheckedCocoDataset', 'CheckImageAnnotations', 'DAVISVideoDataset', 'ShapesVideoDataset',
    'generate_shapes_videos', 'LoadVideoObjectAnnotations', 'VideoClipSample',
    'SHAPE_CLASSES', 'ShapesInstanceDataset', 'generate_shapes', 'SPLITS', 'VOC_CLASSES',
    'VOCSBDEntry', 'VOCSBDInstanceDataset', 'build_voc_sbd_split', 'load_sbd_instances',
    'load_voc_instances', 'masks_to_rles', 'read_split', 'voc_palette', 'voc_sbd_to_coco'
]
