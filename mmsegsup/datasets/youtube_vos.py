"""YouTube-VOS 2018/2019 video object segmentation data (its video lists, e.g. the 80/20 split
of train, are written and read by :mod:`mmsegsup.formats.youtube_vos_splits`)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmsegsup.registry import DATASETS
from mmengine.dataset import BaseDataset

from ..formats.davis_layout import frame_size, list_frames
from ..formats.errors import FormatError
from ..formats.youtube_vos_meta import load_youtube_vos_meta
from ..formats.youtube_vos_splits import read_video_list
from .synthetic.scene import SHAPE_CLASSES
from .synthetic.videos import generate_shapes_videos_ytvos, synthetic_ytvos_current

GIVEN_MASKS = ('all', 'first_appearance')


@DATASETS.register_module()
class YouTubeVOSDataset(BaseDataset):
    """One item per video of ``<data_root>/<split>/``: ``JPEGImages/<video>/*.jpg``,
    ``Annotations/<video>/*.png`` (palette PNGs of object ids; every 5th frame in ``train``,
    only first appearances in ``valid``) and ``meta.json`` (per object its category and the
    frames it is annotated in; the first is its first appearance).

    Items are those of :class:`DAVISVideoDataset` (so the same pipeline serves both), plus
    ``objects`` (id -> category, first frame). Per frame, ``object_ids`` names the objects
    whose masks the pipeline loads, ``video_object_ids`` all objects of the video (what
    imatge-upc/rvos's loss counts, dataset.py:222-229), and ``object_labels`` maps every
    object to its class index
    (classes: the categories of this split's meta, sorted, unless ``metainfo`` gives them).

    Args:
        split: folder under ``data_root`` ('train', 'valid', 'test').
        video_list: optional text file (relative to ``data_root`` or absolute) with one video
            per line, e.g. the 80/20 split of :func:`split_youtube_vos`.
        given_masks: 'all' loads every annotation (training); 'first_appearance' only each
            object's mask at its first appearance (the one-shot protocol; the default in
            ``test_mode``), so a model run on a fully annotated held-out split sees exactly
            what it would see on ``valid``.
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, split: str = 'train', video_list: Optional[str] = None,
                 given_masks: Optional[str] = None, test_mode: bool = False,
                 **kwargs) -> None:
        given_masks = given_masks or ('first_appearance' if test_mode else 'all')
        if given_masks not in GIVEN_MASKS:
            raise ValueError(f'given_masks must be one of {GIVEN_MASKS}, got {given_masks!r}')
        self.split, self.video_list, self.given_masks = split, video_list, given_masks
        self._user_classes = (kwargs.get('metainfo') or {}).get('classes')
        super().__init__(test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        split_dir = osp.join(self.data_root, self.split)
        meta = load_youtube_vos_meta(osp.join(split_dir, 'meta.json'))
        names = sorted(meta) if self.video_list is None else self._read_list(meta)
        if self._user_classes is None:
            self._metainfo['classes'] = tuple(sorted({o['category'] for v in meta.values()
                                                      for o in v.values()}))
        labels = {c: i for i, c in enumerate(self._metainfo['classes'])}
        return [self._load_video(i, name, meta[name], split_dir, labels)
                for i, name in enumerate(names)]

    def _read_list(self, meta: Dict[str, dict]) -> List[str]:
        path = self.video_list
        if not osp.isabs(path):
            path = osp.join(self.data_root, path)
        return read_video_list(path, meta, self.split)

    def _load_video(self, video_id: int, name: str, objects: Dict[str, dict], split_dir: str,
                    labels: Dict[str, int]) -> dict:
        img_dir = osp.join(split_dir, 'JPEGImages', name)
        ann_dir = osp.join(split_dir, 'Annotations', name)
        frames = list_frames(img_dir, name)
        stems = [osp.splitext(f)[0] for f in frames]
        first = {int(k): o['frames'][0] for k, o in objects.items()}
        for obj, o in objects.items():
            missing = [f for f in o['frames'] if f not in stems]
            if missing:
                raise FormatError(
                    f'{osp.join(img_dir, missing[0])}.jpg: missing frame (meta.json annotates '
                    f'object {obj} of video {name} in it)')
        entering: Dict[str, List[int]] = {}
        for obj, stem in first.items():
            entering.setdefault(stem, []).append(obj)
        width, height = frame_size(osp.join(img_dir, frames[0]))
        object_labels = {int(k): labels.get(o['category'], -1) for k, o in objects.items()}
        video_ids = sorted(int(k) for k in objects)
        images = []
        for t, (frame, stem) in enumerate(zip(frames, stems)):
            ann = osp.join(ann_dir, stem + '.png')
            info = dict(img_path=osp.join(img_dir, frame), ann_path=None, frame_id=t,
                        frame_name=stem, img_id=f'{name}/{stem}', height=height,
                        width=width, object_labels=object_labels, object_ids=None,
                        video_object_ids=video_ids)
            if osp.isfile(ann):
                if self.given_masks == 'all':
                    info['ann_path'] = ann
                elif stem in entering:
                    info.update(ann_path=ann, object_ids=sorted(entering[stem]))
            images.append(info)
        return dict(video_id=video_id, video_name=name, video_length=len(images),
                    images=images, objects={int(k): dict(category=o['category'],
                                                         first_frame=o['frames'][0])
                                            for k, o in objects.items()})


@DATASETS.register_module()
class ShapesYouTubeVOSDataset(YouTubeVOSDataset):
    """Synthetic moving shapes in the YouTube-VOS layout, generated on first use: objects
    entering mid-video, categories = shapes, ``unseen_classes`` left out of the split.

    Args:
        num_videos / num_frames / seed / size / max_objects / unseen_classes: generator
            settings (see :func:`generate_shapes_videos_ytvos`).
    """

    def __init__(self, split: str = 'train', num_videos: int = 40, num_frames: int = 12,
                 seed: int = 0, size: int = 64, max_objects: int = 3,
                 unseen_classes: Sequence[str] = (), data_root: Optional[str] = None,
                 **kwargs) -> None:
        if data_root is None:
            raise ValueError('ShapesYouTubeVOSDataset needs data_root (where to write videos)')
        self.gen_args = dict(num_videos=num_videos, num_frames=num_frames, seed=seed,
                             size=size, max_objects=max_objects,
                             unseen_classes=tuple(unseen_classes))
        kwargs.setdefault('metainfo', dict(classes=SHAPE_CLASSES))
        super().__init__(split=split, data_root=data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not synthetic_ytvos_current(self.data_root, self.split, **self.gen_args):
            generate_shapes_videos_ytvos(self.data_root, self.split, **self.gen_args)
        return super().load_data_list()
