"""Datasets: importing this registers them in mmdet's DATASETS.

The readers and writers of the files these datasets load live in :mod:`mmsegsup.formats`
(e.g. :mod:`mmsegsup.formats.refer`, :mod:`mmsegsup.formats.voc_sbd`); import them from there.
"""
from .a2d_sentences import A2DSentencesDataset
from .coco_checked import CheckedCocoDataset
from .davis import DAVISVideoDataset, ShapesVideoDataset
from .davis_refer import DAVISReferDataset
from .refcoco import RefCOCODataset
from .referring_variants import ReferringVariantsDataset, variant_labels
from .synthetic import (SHAPE_CLASSES, ReferringShapesDataset, ReferringShapesVideoDataset,
                        ShapesInstanceDataset, ShapesSemanticDataset, generate_referring_shapes,
                        generate_referring_shapes_videos, generate_shapes,
                        generate_shapes_semantic, generate_shapes_videos,
                        referring_shapes_current)
from .transforms import (CheckImageAnnotations, LoadReferringMask, LoadVideoObjectAnnotations,
                         TorchsampleRandomAffine, VideoClipSample)
from .video_clips import VideoClipsDataset
from .voc_sbd import VOCSBDInstanceDataset
from .youtube_vos import ShapesYouTubeVOSDataset, YouTubeVOSDataset

__all__ = [
    'A2DSentencesDataset', 'DAVISReferDataset', 'RefCOCODataset', 'LoadReferringMask',
    'ReferringVariantsDataset', 'variant_labels', 'ReferringShapesDataset',
    'ReferringShapesVideoDataset', 'generate_referring_shapes',
    'generate_referring_shapes_videos', 'referring_shapes_current', 'ShapesYouTubeVOSDataset',
    'YouTubeVOSDataset', 'CheckedCocoDataset', 'CheckImageAnnotations', 'DAVISVideoDataset',
    'ShapesVideoDataset', 'generate_shapes_videos', 'LoadVideoObjectAnnotations',
    'VideoClipSample', 'VideoClipsDataset', 'TorchsampleRandomAffine', 'SHAPE_CLASSES',
    'ShapesInstanceDataset', 'generate_shapes', 'ShapesSemanticDataset',
    'generate_shapes_semantic', 'VOCSBDInstanceDataset'
]
