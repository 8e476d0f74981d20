"""DAVIS-2017 with referring expressions (Khoreva et al., ACCV 2018) as a referring dataset.

Layout read (relative to ``data_root``, the DAVIS-2017 root)::

    JPEGImages/480p/<video>/<NNNNN>.jpg     frames
    Annotations/480p/<video>/<NNNNN>.png    palette PNGs, pixel value = object id (0 background)
    ImageSets/2017/{train,val}.txt          one video per line
    davis_text_annotations/Davis17_annot{1,2}[_full_video].txt   expressions

The expression files and their reader are described in :mod:`mmsegsup.formats.davis_refer`
(import them from there).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..formats.davis_refer import DAVISExpression, davis_expression_file, read_davis_expressions
from ..formats.davis_layout import DavisLayout, list_frames
from ..formats.errors import FormatError, MissingFileError
from ..formats.index_png import read_index_png
from .sentence_draw import draw_sentence, fold_sentences


def _object_ids(png: str) -> Set[int]:
    return {int(v) for v in np.unique(read_index_png(png, 'DAVIS annotation'))} - {0}


@DATASETS.register_module()
class DAVISReferDataset(BaseDataset):
    """One sample per (expression, frame) of the DAVIS-2017 train or val videos.

    Samples follow the referring data contract with ``ref_mask={'type': 'index_png', 'path':
    <Annotations png>, 'obj_id': k}`` (``{'type': 'none'}`` for a frame without annotation),
    ``frame_id`` the 0-based frame index, ``frame_name`` the file stem, ``object_id`` = k,
    ``annotator``, ``expression_type`` and ``trivial=None`` (DAVIS has no object classes).
    ``expr_id`` is ``"<video>/<obj_id>/<annotator>"``: unique within one dataset (one
    expression file), shared by the frames of that expression.

    Args:
        split: 'train' or 'val' (``ImageSets/<year>/<split>.txt``).
        expressions: 'first_frame' (annotators saw only the first frame) or 'full_video'.
        annotator: 1 or 2, whose expressions to read; ``(1, 2)`` (training only) reads both
            and gives one sample per (object, frame) whose expression is drawn at random from
            the annotators' each time it is read, as the original RefVOS trains on DAVIS
            (davis2017.py:60-80, 111-131, 158-162; :mod:`~mmsegsup.datasets.sentence_draw`).
        ann_dir: folder of the expression files, relative to ``data_root``.
        frames: 'annotated', the frames with an annotation PNG (every frame of DAVIS-2017
            train/val), or 'all' frames; defaults to 'all' in ``test_mode`` (predict the whole
            video), 'annotated' otherwise.
    """

    METAINFO = dict(classes=('background', 'object'), palette=[(0, 0, 0), (220, 20, 60)])

    def __init__(self, data_root: str = '', split: str = 'train',
                 expressions: str = 'first_frame',
                 annotator: Union[int, Sequence[int]] = 1,
                 ann_dir: str = 'davis_text_annotations', frames: Optional[str] = None,
                 resolution: str = '480p', year: str = '2017', test_mode: bool = False,
                 **kwargs) -> None:
        if split not in ('train', 'val'):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        frames = frames or ('all' if test_mode else 'annotated')
        if frames not in ('all', 'annotated'):
            raise ValueError(f"frames must be 'all' or 'annotated', got {frames!r}")
        annotators = (annotator, ) if isinstance(annotator, int) else tuple(annotator)
        if not annotators or len(set(annotators)) != len(annotators):
            raise ValueError(f'annotator must be 1, 2 or (1, 2), got {annotator!r}')
        if len(annotators) > 1 and test_mode:
            raise ValueError(f'annotator={annotator!r}: a test set reads one annotator (the '
                             'original tests on annotator 1), several are for training')
        self.expression_files = [davis_expression_file(expressions, a) for a in annotators]
        self.split, self.expressions, self.annotators = split, expressions, annotators
        self.ann_dir, self.frames = ann_dir, frames
        self.resolution, self.year = resolution, year
        super().__init__(data_root=data_root, test_mode=test_mode, **kwargs)

    def _path(self, *parts: str) -> str:
        return osp.join(self.data_root, *parts)

    def load_data_list(self) -> List[dict]:
        layout = DavisLayout(self.data_root, self.resolution)
        split_videos = layout.read_split(self.year, self.split)
        known = set(split_videos)
        for other in ('train', 'val'):
            if other != self.split and osp.isfile(layout.split_file(self.year, other)):
                known.update(layout.read_split(self.year, other))
        sets_dir = osp.dirname(layout.split_file(self.year, self.split))
        expr_dir = (self.ann_dir if osp.isabs(self.ann_dir) else self._path(self.ann_dir))
        # video -> object id -> [(annotator, expression, its file)]
        by_video: Dict[str, Dict[int, List[Tuple[int, DAVISExpression, str]]]] = {}
        for annotator, name in zip(self.annotators, self.expression_files):
            expr_path = osp.join(expr_dir, name)
            for e in read_davis_expressions(expr_path):
                if e.video not in known:
                    raise FormatError(f'{expr_path}:{e.line}: video {e.video!r} is in '
                                      f'no split file of {sets_dir} (train.txt, val.txt)')
                by_video.setdefault(e.video, {}).setdefault(e.obj_id, []).append(
                    (annotator, e, expr_path))
        data_list: List[dict] = []
        for video in split_videos:
            if video in by_video:
                data_list += self._video_samples(layout, video, by_video[video])
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The sample ``idx``; with several annotators one of their expressions drawn."""
        return draw_sentence(super().get_data_info(idx))

    def _video_samples(self, layout: DavisLayout, video: str,
                       objects: Dict[int, List[Tuple[int, DAVISExpression, str]]]
                       ) -> List[dict]:
        img_dir, ann_dir = layout.frames_dir(video), layout.annotations_dir(video)
        _, first_e, first_path = next(iter(objects.values()))[0]
        frames = list_frames(img_dir, video, source=f'{first_path}:{first_e.line}')
        stems = [osp.splitext(f)[0] for f in frames]
        annotated = [osp.isfile(osp.join(ann_dir, s + '.png')) for s in stems]
        if not any(annotated):
            raise MissingFileError(f'no annotation PNG for video {video} in {ann_dir} (the '
                                   f'first frame at least is needed to check the object ids)')
        first_png = osp.join(ann_dir, stems[annotated.index(True)] + '.png')
        present = _object_ids(first_png)
        samples = []
        for obj_id in sorted(objects):
            for _, e, expr_path in objects[obj_id]:
                if obj_id not in present:
                    raise FormatError(f'{expr_path}:{e.line}: object {obj_id} of {video} is '
                                      f'absent from its first annotated frame {first_png} '
                                      f'(objects there: {sorted(present)})')
            for t, (frame, stem, has_ann) in enumerate(zip(frames, stems, annotated)):
                if self.frames == 'annotated' and not has_ann:
                    continue
                ref_mask = (dict(type='index_png', path=osp.join(ann_dir, stem + '.png'),
                                 obj_id=obj_id) if has_ann else dict(type='none'))
                per_sentence = [dict(
                    img_path=osp.join(img_dir, frame), expression=e.text,
                    expr_id=f'{video}/{obj_id}/{annotator}', ref_mask=ref_mask,
                    video=video, frame_id=t, frame_name=stem, trivial=None,
                    object_id=obj_id, annotator=annotator,
                    expression_type=self.expressions, split=self.split, seg_fields=[],
                    reduce_zero_label=False) for annotator, e, _ in objects[obj_id]]
                if len(self.annotators) == 1:
                    samples += per_sentence
                else:
                    samples.append(dict(fold_sentences(per_sentence),
                                        annotator=self.annotators))
        return samples
