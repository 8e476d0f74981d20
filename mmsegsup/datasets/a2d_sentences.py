"""A2D-Sentences (Gavrilyuk et al., CVPR 2018): actor and action video segmentation from a sentence.

The dataset; the readers of its files (video list, sentences, h5 instance masks) and the
layout they expect are in :mod:`mmsegsup.formats.a2d_sentences` (import them from there).
"""
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..formats.a2d_sentences import (A2D_SPLITS, A2DSentence, a2d_frame_number, a2d_label_names,
                                     read_a2d_frame_instances, read_a2d_sentences,
                                     read_a2d_videoset, read_missed_videos)
from ..formats.errors import FormatError, MissingFileError


@DATASETS.register_module()
class A2DSentencesDataset(BaseDataset):
    """One sample per (sentence, annotated frame whose h5 holds the referred instance), or with
    ``absent_frames`` per (sentence, annotated frame of its video).

    Samples follow the referring data contract (``img_path``, ``expression``, ``expr_id``,
    ``ref_mask={'type': 'a2d_h5', ...}``, ``video``, ``frame_id``, ``trivial``, ...) plus
    ``actor``, ``action``, ``category_id`` (the A2D actor-action id in that frame) and
    ``frame_name`` (``'00025'``). ``frame_id`` is the 0-based index of the frame in its video
    (h5 and frame files use 1-based numbers: ``frame_id = number - 1``).

    ``expr_id`` is ``"<video>/<instance_id>"``; a2d_annotation.txt has one sentence per
    instance, and should a video/instance have several, the later ones get ``"#2"``, ``"#3"``
    appended in file order. ``trivial`` is True when no other instance of the video (over all
    its annotated frames, sentence or not) has the referent's actor class: the class name
    alone picks the referent (thesis section 6.4.1).

    Args:
        split: 'train' or 'test', the videoset.csv subset column.
        ann_file / videoset_file / mask_dir / frame_dir / missed_videos_file: paths relative to
            ``data_root`` (the layout of :mod:`mmsegsup.formats.a2d_sentences`);
            ``missed_videos_file=None`` keeps all.
        check_frames: fail at load time when a frame image is missing (the hint says how to
            extract them); turn off to read the annotations alone.
        absent_frames: also give the annotated frames where the referred instance is absent,
            with an empty referent mask (``ref_mask['absent']``), as the original RefVOS A2D
            set does for training and test (a2d.py:94-128, 151-152: every annotated frame of
            every sentence); their ``actor`` / ``action`` / ``category_id`` are those of the
            instance in the video's other frames (None if it is annotated in none). Off: only
            the frames that hold the instance, as MTTR's and CMPC-V's A2D-Sentences loaders
            (our variant; not comparable with the original RefVOS numbers, where a non-empty
            prediction on such a frame scores IoU 0).
    """

    METAINFO = dict(classes=('background', 'object'), palette=[(0, 0, 0), (220, 20, 60)])

    def __init__(self, data_root: str = '', split: str = 'train',
                 ann_file: str = 'text_annotations/a2d_annotation.txt',
                 videoset_file: str = 'Release/videoset.csv',
                 mask_dir: str = 'text_annotations/a2d_annotation_with_instances',
                 frame_dir: str = 'Release/pngs320H',
                 missed_videos_file: Optional[str] = 'text_annotations/a2d_missed_videos.txt',
                 frame_suffix: str = '.png', check_frames: bool = True,
                 absent_frames: bool = False, **kwargs) -> None:
        if split not in A2D_SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self.split = split
        self.videoset_file = self._under(data_root, videoset_file)
        self.mask_dir = self._under(data_root, mask_dir)
        self.frame_dir = self._under(data_root, frame_dir)
        self.missed_videos_file = (self._under(data_root, missed_videos_file)
                                   if missed_videos_file else None)
        self.frame_suffix = frame_suffix
        self.check_frames = check_frames
        if not isinstance(absent_frames, bool):
            raise ValueError(f'absent_frames must be True or False, got {absent_frames!r}')
        self.absent_frames = absent_frames
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    @staticmethod
    def _under(root: str, path: str) -> str:
        return path if osp.isabs(path) or not root else osp.join(root, path)

    def load_data_list(self) -> List[dict]:
        videoset = read_a2d_videoset(self.videoset_file)
        missed = read_missed_videos(self.missed_videos_file)
        by_video: Dict[str, List[A2DSentence]] = defaultdict(list)
        for s in read_a2d_sentences(self.ann_file):
            if s.video not in videoset:
                raise FormatError(f'{self.ann_file}:{s.line}: video {s.video!r} is not '
                                  f'listed in {self.videoset_file}')
            by_video[s.video].append(s)
        data_list: List[dict] = []
        unseen: List[str] = []
        for video, subset in videoset.items():
            if subset != A2D_SPLITS[self.split] or video in missed or video not in by_video:
                continue
            data_list += self._video_samples(video, by_video[video], unseen)
        if unseen:
            print_log(f'{len(unseen)} A2D-Sentences expressions refer to instances annotated in '
                      f'no frame and give no sample (e.g. {unseen[0]})', logger='current')
        return data_list

    def _video_samples(self, video: str, sentences: Sequence[A2DSentence],
                       unseen: List[str]) -> List[dict]:
        folder = osp.join(self.mask_dir, video)
        if not osp.isdir(folder):
            raise MissingFileError(f'annotation folder {folder} of video {video} not found '
                                   f'(a2d_annotation_with_instances/<video>/<frame>.h5)')
        frames = []  # (number, h5 path, {instance: label})
        actor_of: Dict[int, int] = {}  # instance -> actor index (label // 10)
        label_of: Dict[int, int] = {}  # instance -> its first actor-action id
        for name in sorted(n for n in os.listdir(folder) if n.endswith('.h5')):
            path = osp.join(folder, name)
            instances, labels = read_a2d_frame_instances(path)
            by_instance: Dict[int, int] = {}
            for inst, label in zip(instances, labels):
                by_instance.setdefault(inst, label)  # a repeated id: the first entry wins
                actor_of.setdefault(inst, divmod(label, 10)[0])
                label_of.setdefault(inst, label)
            frames.append((a2d_frame_number(path), path, by_instance))
        actor_count = defaultdict(int)
        for actor in actor_of.values():
            actor_count[actor] += 1
        samples, seen_ids = [], defaultdict(int)
        for s in sentences:
            base = f'{video}/{s.instance_id}'
            seen_ids[base] += 1
            expr_id = base if seen_ids[base] == 1 else f'{base}#{seen_ids[base]}'
            hits = [fr for fr in frames if s.instance_id in fr[2]]
            if not hits:
                unseen.append(f'{self.ann_file}:{s.line} ({expr_id})')
            for number, path, by_instance in (frames if self.absent_frames else hits):
                absent = s.instance_id not in by_instance
                label = label_of.get(s.instance_id) if absent else by_instance[s.instance_id]
                actor = action = None
                if label is not None:
                    try:
                        actor, action = a2d_label_names(label)
                    except ValueError as e:
                        raise FormatError(f'{path}: field "id" of instance '
                                          f'{s.instance_id}: {e}') from e
                img_path = osp.join(self.frame_dir, video, f'{number:05d}{self.frame_suffix}')
                if self.check_frames and not osp.isfile(img_path):
                    raise MissingFileError(
                        f'frame {img_path} not found; extract the frames with '
                        f'tools/dataset_converters/a2d_extract_frames.py (or pass '
                        f'check_frames=False to read the annotations only)')
                ref_mask = dict(type='a2d_h5', path=path, instance_id=s.instance_id)
                if absent:
                    ref_mask['absent'] = True
                samples.append(dict(
                    img_path=img_path, expression=s.query, expr_id=expr_id,
                    ref_mask=ref_mask, video=video, frame_id=number - 1,
                    frame_name=f'{number:05d}',
                    trivial=(None if label is None else
                             actor_count[actor_of[s.instance_id]] == 1),
                    object_id=s.instance_id, category_id=label,
                    actor=actor, action=action, split=self.split, seg_fields=[],
                    reduce_zero_label=False))
        return samples
