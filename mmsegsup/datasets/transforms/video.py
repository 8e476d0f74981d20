"""Video transforms: clip sampling and DAVIS-style object-id annotations."""
from typing import Dict, List, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import BaseFrameSample
from mmsegsup.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks

from ...formats.errors import FormatError
from ...formats.index_png import read_index_png


@TRANSFORMS.register_module()
class VideoClipSample(BaseFrameSample):
    """Pick ``num_frames`` consecutive frames (RVOS trains on short clips); ``None`` keeps the
    whole video (inference propagates over all frames). A ``key_frame_id`` in the video info
    fixes the clip start."""

    def __init__(self, num_frames: Optional[int] = 5,
                 collect_video_keys: List[str] = ['video_id', 'video_length', 'video_name']
                 ) -> None:
        super().__init__(collect_video_keys=collect_video_keys)
        self.num_frames = num_frames

    def transform(self, video_infos: dict) -> Dict[str, List]:
        length = video_infos['video_length']
        if self.num_frames is None or self.num_frames >= length:
            return self.prepare_data(video_infos, list(range(length)))
        start = video_infos.get('key_frame_id')
        if start is None:
            start = int(np.random.randint(0, length - self.num_frames + 1))
        start = min(int(start), length - self.num_frames)
        return self.prepare_data(video_infos, list(range(start, start + self.num_frames)))


@TRANSFORMS.register_module()
class LoadVideoObjectAnnotations(BaseTransform):
    """Read a frame's palette PNG of object ids into ``gt_masks`` / ``gt_instances_ids``.

    Index 0 is background and 255 void (ignored). A frame without an annotation file gets no
    objects; ``object_ids`` in the frame info keeps only those objects (the ones whose masks
    the protocol gives at that frame), and ``object_labels`` (id -> class index) sets their
    classes (default 0). Objects have no box (boxes follow from masks; mmdet's
    ``PackTrackInputs`` cannot pack box structures), so ``PackTrackInputs`` packs them as for
    any tracking data.
    """

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2] if 'img' in results else (results['height'],
                                                                   results['width'])
        if (h, w) != (results.get('height', h), results.get('width', w)):
            raise FormatError(
                f'{results.get("img_path")}: frame is {h}x{w} but the video\'s first frame is '
                f'{results["height"]}x{results["width"]}; all frames of a video must have '
                'one size')
        path = results.get('ann_path')
        ids = np.zeros((0, ), np.int64)
        masks = np.zeros((0, h, w), np.uint8)
        if path is not None:
            index = read_index_png(path, 'annotation')
            if index.shape != (h, w):
                raise FormatError(f'{path}: annotation is {index.shape[0]}x'
                                  f'{index.shape[1]} but frame {results.get("img_path")}'
                                  f' is {h}x{w}')
            ids = np.array([i for i in np.unique(index) if i not in (0, 255)], np.int64)
            if results.get('object_ids') is not None:
                ids = np.array([i for i in ids if i in set(results['object_ids'])], np.int64)
            masks = (index[None] == ids[:, None, None]).astype(np.uint8)
        labels = results.get('object_labels') or {}
        results['gt_masks'] = BitmapMasks(masks, h, w)
        results['gt_instances_ids'] = ids
        results['gt_bboxes_labels'] = np.array([labels.get(int(i), 0) for i in ids], np.int64)
        results['gt_ignore_flags'] = np.zeros(len(ids), bool)
        return results
