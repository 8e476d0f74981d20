"""DAVIS-2017 layout video object segmentation data (and the synthetic videos in that layout)."""
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset
from mmsegsup.registry import DATASETS

from ..formats.davis_layout import (DavisLayout, check_annotations_have_frames, frame_size,
                                    list_frames)
from .synthetic.videos import generate_shapes_videos, synthetic_videos_current


@DATASETS.register_module()
class DAVISVideoDataset(BaseDataset):
    """One item per video: ``JPEGImages/<res>/<seq>/*.jpg`` with optional
    ``Annotations/<res>/<seq>/*.png`` (palette PNGs of object ids), sequences listed in
    ``ImageSets/<year>/<split>.txt``.

    Items hold ``video_name``, ``video_length`` and ``images`` (per frame ``img_path``,
    ``ann_path`` or ``None`` when the frame has no annotation, ``frame_id``, ``height``,
    ``width``); a clip sampler in the pipeline picks the frames (see ``VideoClipSample``).

    Args:
        given_masks: 'all' loads every annotation (training); 'first' only the first frame's,
            the semi-supervised protocol (the default in ``test_mode``: the metrics read the
            ground truth from disk, the model must not see it).
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, split: str = 'train', resolution: str = '480p', year: str = '2017',
                 given_masks: Optional[str] = None, test_mode: bool = False,
                 **kwargs) -> None:
        given_masks = given_masks or ('first' if test_mode else 'all')
        if given_masks not in ('all', 'first'):
            raise ValueError(f"given_masks must be 'all' or 'first', got {given_masks!r}")
        self.split, self.resolution, self.year = split, resolution, year
        self.given_masks = given_masks
        super().__init__(test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        layout = DavisLayout(self.data_root, self.resolution)
        names = layout.read_split(self.year, self.split)
        return [self._load_video(i, name, layout) for i, name in enumerate(names)]

    def _load_video(self, video_id: int, name: str, layout: DavisLayout) -> dict:
        img_dir, ann_dir = layout.frames_dir(name), layout.annotations_dir(name)
        frames = list_frames(img_dir, name)
        check_annotations_have_frames(ann_dir, img_dir, frames)
        width, height = frame_size(osp.join(img_dir, frames[0]))
        images = []
        for t, frame in enumerate(frames):
            stem = osp.splitext(frame)[0]
            ann = osp.join(ann_dir, stem + '.png')
            given = osp.isfile(ann) and (t == 0 or self.given_masks == 'all')
            images.append(dict(img_path=osp.join(img_dir, frame),
                               ann_path=ann if given else None, frame_id=t,
                               frame_name=stem, img_id=f'{name}/{stem}', height=height,
                               width=width))
        return dict(video_id=video_id, video_name=name, video_length=len(images),
                    images=images)


@DATASETS.register_module()
class ShapesVideoDataset(DAVISVideoDataset):
    """Synthetic moving shapes in the DAVIS layout, generated on first use.

    Args:
        num_videos / num_frames / seed / size / max_objects / late_entries: generator settings
            (see :func:`generate_shapes_videos`).
    """

    def __init__(self, split: str = 'train', num_videos: int = 40, num_frames: int = 12,
                 seed: int = 0, size: int = 64, max_objects: int = 3,
                 late_entries: bool = False, data_root: Optional[str] = None,
                 **kwargs) -> None:
        if data_root is None:
            raise ValueError('ShapesVideoDataset needs data_root (where to write the videos)')
        self.gen_args = dict(num_videos=num_videos, num_frames=num_frames, seed=seed,
                             size=size, max_objects=max_objects, late_entries=late_entries)
        super().__init__(split=split, data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not synthetic_videos_current(self.data_root, self.split, **self.gen_args):
            generate_shapes_videos(self.data_root, self.split, **self.gen_args)
        return super().load_data_list()
