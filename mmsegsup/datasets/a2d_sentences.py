"""A2D-Sentences (Gavrilyuk et al., CVPR 2018): actor and action video segmentation from a sentence.

Layout read (defaults, relative to ``data_root``; the usual MTTR/ReferFormer arrangement)::

    Release/videoset.csv                       A2D video list, no header, 9 columns per row:
                                               vid, label, start_time, end_time, height, width,
                                               total_frames, annotated_frames, subset (0 train,
                                               1 test). Only ``vid`` and ``subset`` are read.
    Release/clips320H/<vid>.mp4                the videos (read only by the frame extractor)
    Release/pngs320H/<vid>/<NNNNN>.png         frames, 1-based numbers like the h5 files
                                               (``tools/dataset_converters/a2d_extract_frames.py``)
    text_annotations/a2d_annotation.txt        CSV with header ``video_id,instance_id,query``
    text_annotations/a2d_missed_videos.txt     optional, one video id per line, left out
    text_annotations/a2d_annotation_with_instances/<vid>/<NNNNN>.h5

Fields read from each h5 file (MATLAB v7.3, so arrays arrive transposed):
``instance`` (N,) instance ids (the ``instance_id`` of the sentences; 0 is a valid id),
``reMask`` (N, W, H), or (W, H) when N == 1, the instance masks transposed; ``id`` (1, N) the
A2D actor-action label of each instance, ``actor * 10 + action`` (``reBBox`` is not read).

Known errata of the official release, handled on purpose: one sentence row has instance id
``"1 (copy)"`` (video T6bNPuKV-wY) and is skipped with a warning, as all public loaders do;
a few h5 files hold more masks than instances (extra masks are ignored: instance ``i`` owns
mask ``i``); one lists an instance id twice (the first entry wins).
"""
import csv
import os
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

import h5py
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..utils.errors import DatasetFormatError

A2D_ACTORS = ('adult', 'baby', 'ball', 'bird', 'car', 'cat', 'dog')
A2D_ACTIONS = ('climbing', 'crawling', 'eating', 'flying', 'jumping', 'rolling', 'running',
               'walking', 'none')
A2D_SPLITS = {'train': 0, 'test': 1}
SENTENCES_HEADER = ['video_id', 'instance_id', 'query']
_COPY_ERRATUM = re.compile(r'^\d+ \(copy\)$')


class A2DSentence(NamedTuple):
    """One row of ``a2d_annotation.txt`` (``line`` is 1-based, the header is line 1)."""
    line: int
    video: str
    instance_id: int
    query: str


def a2d_label_names(label_id: int) -> Tuple[str, str]:
    """Split an A2D actor-action id (``actor * 10 + action``, e.g. 11 adult-climbing,
    79 dog-none) into its actor and action names."""
    actor, action = divmod(int(label_id), 10)
    if not (1 <= actor <= len(A2D_ACTORS) and 1 <= action <= len(A2D_ACTIONS)):
        raise ValueError(f'{label_id} is not an A2D actor-action id (actor 1-7 * 10 + '
                         f'action 1-9)')
    return A2D_ACTORS[actor - 1], A2D_ACTIONS[action - 1]


def read_a2d_videoset(path: str) -> Dict[str, int]:
    """``videoset.csv`` as ``{video: subset}`` in file order (subset 0 train, 1 test)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'A2D video list {path} not found (Release/videoset.csv)')
    videos: Dict[str, int] = {}
    with open(path, newline='') as f:
        for line, row in enumerate(csv.reader(f), 1):
            if not row or not ''.join(row).strip():
                continue
            if len(row) != 9:
                raise DatasetFormatError(f'{path}:{line}: expected 9 columns (vid, label, ..., '
                                         f'subset), got {len(row)}')
            subset = row[8].strip()
            if subset not in ('0', '1'):
                raise DatasetFormatError(f'{path}:{line}: subset column must be 0 (train) or '
                                         f'1 (test), got {subset!r}')
            videos[row[0].strip()] = int(subset)
    return videos


def read_a2d_sentences(path: str) -> List[A2DSentence]:
    """Rows of ``a2d_annotation.txt``; the known ``"<k> (copy)"`` erratum row is skipped."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'A2D-Sentences annotation {path} not found '
                                f'(text_annotations/a2d_annotation.txt)')
    sentences = []
    with open(path, newline='', encoding='utf-8') as f:
        rows = csv.reader(f)
        header = [h.strip() for h in next(rows, [])]
        if header != SENTENCES_HEADER:
            raise DatasetFormatError(f'{path}:1: expected the header '
                                     f'{",".join(SENTENCES_HEADER)}, got {",".join(header)!r}')
        for line, row in enumerate(rows, 2):
            if not row or not ''.join(row).strip():
                continue
            if len(row) != 3:
                raise DatasetFormatError(f'{path}:{line}: expected 3 fields (video_id, '
                                         f'instance_id, query), got {len(row)}; quote queries '
                                         f'that contain commas')
            video, instance, query = (v.strip() for v in row)
            if _COPY_ERRATUM.match(instance):
                print_log(f'{path}:{line}: skipping the known erratum row with instance id '
                          f'{instance!r} (video {video})', logger='current')
                continue
            if not instance.isdigit():
                raise DatasetFormatError(f'{path}:{line}: instance_id must be an integer, got '
                                         f'{instance!r}')
            if not query:
                raise DatasetFormatError(f'{path}:{line}: empty query for {video}/{instance}')
            sentences.append(A2DSentence(line, video, int(instance), query))
    return sentences


def read_missed_videos(path: Optional[str]) -> Set[str]:
    """Video ids listed in ``a2d_missed_videos.txt`` (empty when the file is absent)."""
    if not path or not osp.isfile(path):
        return set()
    with open(path) as f:
        return {ln.strip() for ln in f if ln.strip()}


def _h5_field(f: h5py.File, path: str, name: str) -> np.ndarray:
    if name not in f:
        raise DatasetFormatError(f'{path}: field {name!r} missing (A2D-Sentences h5 files hold '
                                 f'instance, reMask, id)')
    return np.asarray(f[name])


def _open_h5(path: str) -> h5py.File:
    if not osp.isfile(path):
        raise FileNotFoundError(f'A2D annotation {path} not found')
    try:
        return h5py.File(path, 'r')
    except OSError as e:
        raise DatasetFormatError(f'{path}: not a readable HDF5 file ({e})') from e


def read_a2d_frame_instances(path: str) -> Tuple[List[int], List[int]]:
    """Instance ids and their actor-action label ids in one annotated frame (no masks read)."""
    with _open_h5(path) as f:
        instances = [int(i) for i in _h5_field(f, path, 'instance').reshape(-1)]
        labels = [int(i) for i in _h5_field(f, path, 'id').reshape(-1)]
    if len(labels) < len(instances):
        raise DatasetFormatError(f'{path}: {len(instances)} instances but only {len(labels)} '
                                 f'actor-action ids in field "id"')
    return instances, labels[:len(instances)]


def read_a2d_instance_mask(path: str, instance_id: int) -> np.ndarray:
    """The binary mask (uint8 HxW, image orientation) of ``instance_id`` in one A2D h5 file."""
    with _open_h5(path) as f:
        instances = [int(i) for i in _h5_field(f, path, 'instance').reshape(-1)]
        if int(instance_id) not in instances:
            raise DatasetFormatError(f'{path}: instance {instance_id} not annotated in this '
                                     f'frame (instances: {instances})')
        k = instances.index(int(instance_id))
        masks = _h5_field(f, path, 'reMask')
    if masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3 or masks.shape[0] <= k:
        raise DatasetFormatError(f'{path}: reMask of shape {masks.shape} has no mask for '
                                 f'instance {instance_id} (position {k} of {len(instances)})')
    return np.ascontiguousarray(masks[k].T > 0).astype(np.uint8)


def _frame_number(path: str) -> int:
    stem = osp.splitext(osp.basename(path))[0]
    if not stem.isdigit():
        raise DatasetFormatError(f'{path}: A2D annotation files are named <frame number>.h5 '
                                 f'(e.g. 00025.h5)')
    return int(stem)


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
            ``data_root`` (see the module docstring); ``missed_videos_file=None`` keeps all.
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
                raise DatasetFormatError(f'{self.ann_file}:{s.line}: video {s.video!r} is not '
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
            raise FileNotFoundError(f'annotation folder {folder} of video {video} not found '
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
            frames.append((_frame_number(path), path, by_instance))
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
                        raise DatasetFormatError(f'{path}: field "id" of instance '
                                                 f'{s.instance_id}: {e}') from e
                img_path = osp.join(self.frame_dir, video, f'{number:05d}{self.frame_suffix}')
                if self.check_frames and not osp.isfile(img_path):
                    raise FileNotFoundError(
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
