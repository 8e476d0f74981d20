"""Datasets: importing this registers them in mmdet's DATASETS."""
from .coco_checked import CheckedCocoDataset
from .davis import DAVISVideoDataset, ShapesVideoDataset
from .synthetic_shapes import SHAPE_CLASSES, ShapesInstanceDataset, generate_shapes
from .synthetic_shapes_semantic import ShapesSemanticDataset, generate_shapes_semantic
from .synthetic_videos import generate_shapes_videos
from .transforms import CheckImageAnnotations, LoadVideoObjectAnnotations, VideoClipSample
from .weak_labels import (WeakLabels, check_against_annotations, load_weak_labels,
                          save_weak_labels, weak_labels_from_coco)
from .youtube_vos import (ShapesYouTubeVOSDataset, YouTubeVOSDataset, split_youtube_vos,
                          write_youtube_vos_split)
from .voc_sbd import (SPLITS, VOC_CLASSES, VOCSBDEntry, VOCSBDInstanceDataset,
                      build_voc_sbd_split, load_sbd_instances, load_voc_instances,
                      masks_to_rles, read_split, voc_palette, voc_sbd_to_coco)

__all__ = [
    'WeakLabels', 'check_against_annotations', 'load_weak_labels', 'save_weak_labels',
    'weak_labels_from_coco', 'ShapesYouTubeVOSDataset', 'YouTubeVOSDataset',
    'split_youtube_vos', 'write_youtube_vos_split',
    'CheckedCocoDataset', 'CheckImageAnnotations', 'DAVISVideoDataset', 'ShapesVideoDataset',
    'generate_shapes_videos', 'LoadVideoObjectAnnotations', 'VideoClipSample',
    'SHAPE_CLASSES', 'ShapesInstanceDataset', 'generate_shapes', 'ShapesSemanticDataset',
    'generate_shapes_semantic', 'SPLITS', 'VOC_CLASSES',
    'VOCSBDEntry', 'VOCSBDInstanceDataset', 'build_voc_sbd_split', 'load_sbd_instances',
    'load_voc_instances', 'masks_to_rles', 'read_split', 'voc_palette', 'voc_sbd_to_coco'
]
