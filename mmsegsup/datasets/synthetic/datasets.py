"""The synthetic datasets: each writes its split on first use (or when it was made with other
settings, as :mod:`mmsegsup.formats.synthetic_cache` tells), then reads it like the benchmark
whose layout it copies. The generators are in the sibling modules; the synthetic videos'
datasets subclass the benchmarks' (``ShapesVideoDataset`` in :mod:`..davis`,
``ShapesYouTubeVOSDataset`` in :mod:`..youtube_vos`)."""
import os.path as osp
from typing import Callable, List, Optional

from mmengine.dataset import BaseDataset
from mmseg.datasets import BaseSegDataset
from mmsegsup.registry import DATASETS, SEG_DATASETS

from ...formats import synthetic_cache as cache
from ...formats.errors import FormatError
from ...formats.referring_shapes import read_referring_shapes
from ..coco_checked import CheckedCocoDataset
from .referring import (generate_referring_shapes, generate_referring_shapes_videos,
                        referring_shapes_current)
from .scene import SHAPE_CLASSES, SHAPES_PALETTE
from .semantic import (SEMANTIC_CLASSES, SEMANTIC_PALETTE, generate_shapes_semantic,
                       shapes_semantic_current)
from .shapes import generate_shapes


def _require_root(dataset: object, data_root: Optional[str]) -> None:
    if data_root is None:
        raise ValueError(f'{type(dataset).__name__} needs data_root (where to write the data)')


class _ShapesImages:
    """Mixin of the two datasets over the shapes images: ``generate_shapes``'s settings, and
    the defaults of the split's layout (``_layout(split)``) for the dataset's arguments."""

    def __init__(self, split: str = 'train', num_images: int = 200, seed: int = 0,
                 size: int = 64, max_objects: int = 4, data_root: Optional[str] = None,
                 **kwargs) -> None:
        _require_root(self, data_root)
        self.gen_args = dict(split=split, num_images=num_images, seed=seed, size=size,
                             max_objects=max_objects)
        for key, value in self._layout(split).items():
            kwargs.setdefault(key, value)
        super().__init__(data_root=data_root, **kwargs)

    @staticmethod
    def _layout(split: str) -> dict:
        raise NotImplementedError


@DATASETS.register_module()
class ShapesInstanceDataset(_ShapesImages, CheckedCocoDataset):
    """``CheckedCocoDataset`` over synthetic shapes that writes its files on first use.

    Args:
        split: name of the split; also mixed into the seed, so splits never share images.
        num_images / seed / size / max_objects: generator settings.
        **kwargs: ``CocoDataset`` arguments (``data_root``, ``pipeline``, ``test_mode``...);
            ``ann_file`` and ``data_prefix`` default to the generator's layout.
    """

    METAINFO = dict(classes=SHAPE_CLASSES, palette=SHAPES_PALETTE)

    @staticmethod
    def _layout(split: str) -> dict:
        return dict(ann_file=f'annotations/instances_{split}.json',
                    data_prefix=dict(img=f'images/{split}/'))

    def load_data_list(self) -> List[dict]:
        """Generate the split if missing (or made with other settings), then read it."""
        settings = {k: v for k, v in self.gen_args.items() if k != 'split'}
        if not cache.is_current(self.ann_file, 'shapes', settings, key='info'):
            generate_shapes(self.data_root, **self.gen_args)
        return super().load_data_list()


@SEG_DATASETS.register_module()
class ShapesSemanticDataset(_ShapesImages, BaseSegDataset):
    """mmseg ``BaseSegDataset`` over synthetic shapes that writes its files on first use.

    Args:
        split: name of the split; also mixed into the seed, so splits never share images.
        num_images / seed / size / max_objects: generator settings (as ``ShapesInstanceDataset``).
        data_root: where the data is written and read.
        **kwargs: ``BaseSegDataset`` arguments (``pipeline``, ``test_mode``...). ``ann_file``
            defaults to the whole split (``splits/<split>.txt``); give a text file of image names,
            one a line, to use a subset, as for VOC.
    """

    METAINFO = dict(classes=SEMANTIC_CLASSES, palette=SEMANTIC_PALETTE)

    @staticmethod
    def _layout(split: str) -> dict:
        return dict(ann_file=f'splits/{split}.txt', img_suffix='.png', seg_map_suffix='.png',
                    data_prefix=dict(img_path=f'img_dir/{split}', seg_map_path=f'ann_dir/{split}'))

    def load_data_list(self) -> List[dict]:
        """Generate the split if missing (or made with other settings), then read it."""
        if not shapes_semantic_current(self.data_root, **self.gen_args):
            generate_shapes_semantic(self.data_root, **self.gen_args)
        data_list = super().load_data_list()
        missing = [d['img_path'] for d in data_list if not osp.isfile(d['img_path'])]
        if missing:
            raise FormatError(
                f'{self.ann_file} lists {len(missing)} image(s) not in split '
                f'{self.gen_args["split"]!r}, e.g. {missing[0]}')
        return data_list


class ReferringShapesBase(BaseDataset):
    """Generates the split when missing or made with other settings, then reads it
    (the base of the image and video sets; not registered)."""

    METAINFO = dict(classes=('background', 'referent'), palette=[[0, 0, 0], [255, 255, 255]])
    _KIND = ''  # 'images' or 'videos'
    _GENERATE: Callable[..., str]  # its generator (a staticmethod), given the settings

    def __init__(self, split: str, settings: dict, data_root: Optional[str] = None,
                 **kwargs) -> None:
        _require_root(self, data_root)
        self.split, self.settings = split, settings
        kwargs.setdefault('ann_file', f'expressions_{split}.json')
        kwargs.setdefault('data_prefix', dict(img_path=f'JPEGImages/{split}',
                                              seg_map_path=f'Annotations/{split}'))
        super().__init__(data_root=data_root, **kwargs)

    def _load(self) -> dict:
        if not referring_shapes_current(self.data_root, self.split, self._KIND,
                                        **self.settings):
            self._GENERATE(self.data_root, self.split, **self.settings)
        return read_referring_shapes(self.ann_file)

    def _sample(self, expr: dict, img_path: str, mask_path: str, video: Optional[str],
                frame_id: Optional[int]) -> dict:
        try:
            return dict(img_path=img_path, expression=expr['sentence'],
                        expr_id=expr['expr_id'],
                        ref_mask=dict(type='index_png', path=mask_path,
                                      obj_id=int(expr['obj_id'])),
                        video=video, frame_id=frame_id, trivial=bool(expr['trivial']),
                        object_id=int(expr['obj_id']), categories=list(expr['categories']),
                        attributes=list(expr['attributes']), split=self.split,
                        seg_fields=[], reduce_zero_label=False)
        except (KeyError, TypeError, ValueError) as e:
            raise FormatError(f'{self.ann_file}: expression {expr!r} lacks or has a '
                                     f'bad field ({e!r})') from e


@SEG_DATASETS.register_module()
class ReferringShapesDataset(ReferringShapesBase):
    """Synthetic referring-shapes images in the shared referring contract (one sample per
    expression; ``ref_mask`` is an ``index_png``), written on first use.

    Args:
        split / num_images / seed / size / min_objects / max_objects / nontrivial_fraction /
            min_visible / redundancy: generator settings (see :func:`generate_referring_shapes`).
        data_root: where the data is written and read; **kwargs: ``BaseDataset`` arguments.
    """
    _KIND = 'images'
    _GENERATE = staticmethod(generate_referring_shapes)

    def __init__(self, split: str = 'train', num_images: int = 1000, seed: int = 0,
                 size: int = 64, min_objects: int = 2, max_objects: int = 4,
                 nontrivial_fraction: float = 0.5, min_visible: float = 0.8,
                 redundancy: float = 0.0, data_root: Optional[str] = None,
                 **kwargs) -> None:
        settings = dict(num_images=num_images, seed=seed, size=size, min_objects=min_objects,
                        max_objects=max_objects, nontrivial_fraction=nontrivial_fraction,
                        min_visible=min_visible, redundancy=redundancy)
        super().__init__(split, settings, data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        data = self._load()
        img_dir, ann_dir = self.data_prefix['img_path'], self.data_prefix['seg_map_path']
        return [self._sample(e, osp.join(img_dir, f'{e.get("image")}.jpg'),
                             osp.join(ann_dir, f'{e.get("image")}.png'), None, None)
                for e in data['expressions']]


@SEG_DATASETS.register_module()
class ReferringShapesVideoDataset(ReferringShapesBase):
    """Synthetic referring-shapes videos: one sample per (expression, frame), ``video`` and
    ``frame_id`` set, the same ``expr_id`` on every frame of an expression.

    Args:
        split / num_videos / num_frames / seed / size / min_objects / max_objects /
            nontrivial_fraction / min_visible / redundancy: see
            :func:`generate_referring_shapes_videos`.
    """
    _KIND = 'videos'
    _GENERATE = staticmethod(generate_referring_shapes_videos)

    def __init__(self, split: str = 'train', num_videos: int = 100, num_frames: int = 8,
                 seed: int = 0, size: int = 64, min_objects: int = 2, max_objects: int = 3,
                 nontrivial_fraction: float = 0.5, min_visible: float = 0.7,
                 redundancy: float = 0.0, data_root: Optional[str] = None,
                 **kwargs) -> None:
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        settings = dict(num_videos=num_videos, num_frames=num_frames, seed=seed, size=size,
                        min_objects=min_objects, max_objects=max_objects,
                        nontrivial_fraction=nontrivial_fraction, min_visible=min_visible,
                        redundancy=redundancy)
        super().__init__(split, settings, data_root, **kwargs)

    def load_data_list(self) -> List[dict]:
        data = self._load()
        frames = {v.get('video'): v.get('frames') for v in data.get('videos', [])
                  if isinstance(v, dict)}
        img_dir, ann_dir = self.data_prefix['img_path'], self.data_prefix['seg_map_path']
        samples = []
        for expr in data['expressions']:
            video = expr.get('video')
            if not isinstance(frames.get(video), list):
                raise FormatError(f'{self.ann_file}: expression {expr.get("expr_id")!r}'
                                         f' names video {video!r}, not listed in "videos"')
            for t, stem in enumerate(frames[video]):
                samples.append(self._sample(expr, osp.join(img_dir, video, stem + '.jpg'),
                                            osp.join(ann_dir, video, stem + '.png'), video, t))
        return samples
