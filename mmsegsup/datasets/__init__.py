"""Datasets: importing this registers them in mmdet's DATASETS."""
from ..formats.weak_labels import (WeakLabels, check_against_annotations, load_weak_labels,
                                  save_weak_labels, weak_labels_from_coco)
from ..formats.a2d_sentences import (A2D_ACTIONS, A2D_ACTORS, A2DSentence, a2d_label_names,
                                     read_a2d_frame_instances, read_a2d_instance_mask,
                                     read_a2d_sentences, read_a2d_videoset, read_missed_videos)
from .a2d_sentences import A2DSentencesDataset
from .coco_checked import CheckedCocoDataset
from .davis import DAVISVideoDataset, ShapesVideoDataset
from ..formats.davis_refer import (VIDEO_NAME_FIXES, DAVISExpression, davis_expression_file,
                                   read_davis_expressions)
from .davis_refer import DAVISReferDataset
from ..formats.refer import (REFER_IMG_PREFIX, REFER_SPLITS, check_refer_split, in_refer_split,
                             load_refs, refer_to_json)
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
from ..formats.youtube_vos_splits import (split_youtube_vos, write_youtube_vos_partition,
                                          write_youtube_vos_split)
from .youtube_vos import ShapesYouTubeVOSDataset, YouTubeVOSDataset
from ..formats.voc_sbd import (SPLITS, VOC_CLASSES, VOCSBDEntry, build_voc_sbd_split,
                               load_sbd_instances, load_voc_instances, masks_to_rles,
                               read_split, voc_palette, voc_sbd_to_coco)
from .voc_sbd import VOCSBDInstanceDataset

__all__ = [
    'A2D_ACTIONS', 'A2D_ACTORS', 'A2DSentence', 'A2DSentencesDataset', 'a2d_label_names',
    'read_a2d_frame_instances', 'read_a2d_instance_mask', 'read_a2d_sentences',
    'read_a2d_videoset', 'read_missed_videos', 'VIDEO_NAME_FIXES', 'DAVISExpression',
    'DAVISReferDataset', 'davis_expression_file', 'read_davis_expressions', 'REFER_IMG_PREFIX',
    'REFER_SPLITS', 'RefCOCODataset', 'check_refer_split', 'in_refer_split', 'load_refs',
    'refer_to_json', 'LoadReferringMask', 'ReferringVariantsDataset', 'variant_labels', 'ReferringShapesDataset', 'ReferringShapesVideoDataset',
    'generate_referring_shapes', 'generate_referring_shapes_videos', 'referring_shapes_current',
    'WeakLabels', 'check_against_annotations', 'load_weak_labels', 'save_weak_labels',
    'weak_labels_from_coco', 'ShapesYouTubeVOSDataset', 'YouTubeVOSDataset',
    'split_youtube_vos', 'write_youtube_vos_split', 'write_youtube_vos_partition',
    'CheckedCocoDataset', 'CheckImageAnnotations', 'DAVISVideoDataset', 'ShapesVideoDataset',
    'generate_shapes_videos', 'LoadVideoObjectAnnotations', 'VideoClipSample',
    'VideoClipsDataset', 'TorchsampleRandomAffine',
    'SHAPE_CLASSES', 'ShapesInstanceDataset', 'generate_shapes', 'ShapesSemanticDataset',
    'generate_shapes_semantic', 'SPLITS', 'VOC_CLASSES',
    'VOCSBDEntry', 'VOCSBDInstanceDataset', 'build_voc_sbd_split', 'load_sbd_instances',
    'load_voc_instances', 'masks_to_rles', 'read_split', 'voc_palette', 'voc_sbd_to_coco'
]
