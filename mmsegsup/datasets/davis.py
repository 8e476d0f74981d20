"""DAVIS-2017 layout video object segmentation data (and the synthetic videos in that layout)."""
import os
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset
from mmsegsup.registry import DATASETS
from PIL import Image

from ..formats.errors import DatasetFormatError, MissingFileError
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
        split_file = osp.join(self.data_root, 'ImageSets', self.year, f'{self.split}.txt')
        if not osp.isfile(split_file):
            raise MissingFileError(f'split file {split_file} not found (DAVIS layout expects '
                                   f'ImageSets/{self.year}/{self.split}.txt)')
        with open(split_file) as f:
            names = [ln.strip() for ln in f if ln.strip()]
        return [self._load_video(i, name) for i, name in enumerate(names)]

    def _load_video(self, video_id: int, name: str) -> dict:
        img_dir = osp.join(self.data_root, 'JPEGImages', self.resolution, name)
        ann_dir = osp.join(self.data_root, 'Annotations', self.resolution, name)
        if not osp.isdir(img_dir):
            raise MissingFileError(f'frames folder {img_dir} of sequence {name} not found')
        frames = sorted(f for f in os.listdir(img_dir) if f.lower().endswith(('.jpg', '.png')))
        if not frames:
            raise DatasetFormatError(f'{img_dir}: sequence {name} has no frames (empty video)')
        stems = {osp.splitext(f)[0] for f in frames}
        if osp.isdir(ann_dir):
            orphans = sorted(f for f in os.listdir(ann_dir)
                             if f.endswith('.png') and osp.splitext(f)[0] not in stems)
            if orphans:
                raise DatasetFormatError(
                    f'{osp.join(ann_dir, orphans[0])}: annotation without a frame (expected '
                    f'{osp.join(img_dir, osp.splitext(orphans[0])[0])}.jpg); missing frame?')
        with Image.open(osp.join(img_dir, frames[0])) as im:
            width, height = im.size
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
