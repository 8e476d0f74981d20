"""The DAVIS folder layout, parsed once for the DAVIS datasets and the DAVIS evaluator::

    <root>/ImageSets/<year>/<split>.txt                   one sequence name per line
    <root>/JPEGImages/<resolution>/<video>/<frame>.jpg    the frames
    <root>/Annotations/<resolution>/<video>/<frame>.png   palette PNGs of object ids
    <root>/Annotations_unsupervised/<resolution>/...      the unsupervised task's annotations

YouTube-VOS keeps the same per-video folders (``<split>/JPEGImages/<video>/``,
``<split>/Annotations/<video>/``), so its dataset and evaluator list frames and annotations
with the functions here too. Names starting with ``.`` are not frames (the official code globs
``*.jpg``, which skips them, e.g. the ``._*`` files macOS copies leave). Every fault raises
:class:`~mmsegsup.formats.errors.DavisFileNotFoundError` or
:class:`~mmsegsup.formats.errors.DavisFormatError` naming the file and what was expected.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from PIL import Image

from .errors import DavisFileNotFoundError, DavisFormatError

FRAME_EXTS = ('.jpg', '.png')
ANNOTATION_FOLDERS = {'semi-supervised': 'Annotations',
                      'unsupervised': 'Annotations_unsupervised'}


@dataclass(frozen=True)
class DavisLayout:
    """The paths of a DAVIS root (``annotations``: the annotation folder of the task)."""
    root: str
    resolution: str = '480p'
    annotations: str = 'Annotations'

    def split_file(self, year: str, split: str) -> str:
        return osp.join(self.root, 'ImageSets', year, f'{split}.txt')

    def frames_dir(self, video: str) -> str:
        return osp.join(self.root, 'JPEGImages', self.resolution, video)

    def annotations_dir(self, video: str = '') -> str:
        """The folder of ``video``'s annotation PNGs (of every video when ``video`` is '')."""
        return osp.join(self.root, self.annotations, self.resolution, video)

    def read_split(self, year: str, split: str) -> List[str]:
        """The sequence names of ``ImageSets/<year>/<split>.txt`` in file order (stripped
        lines, blank ones skipped, as the official ``DAVIS`` class reads them)."""
        path = self.split_file(year, split)
        if not osp.isfile(path):
            raise DavisFileNotFoundError(f'split file {path} not found (DAVIS layout: '
                                         f'ImageSets/{year}/{split}.txt, one sequence name '
                                         'per line)', path)
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]


def _files(folder: str, exts: Sequence[str], any_case: bool = False) -> List[str]:
    """Sorted names of the files of ``folder`` ending in ``exts``, dotfiles left out."""
    return sorted(name for name in os.listdir(folder) if not name.startswith('.')
                  and (name.lower() if any_case else name).endswith(tuple(exts)))


def stem(name: str) -> str:
    """A frame's id: its file name without the extension."""
    return osp.splitext(osp.basename(name))[0]


def list_frames(img_dir: str, video: str, exts: Sequence[str] = FRAME_EXTS,
                source: Optional[str] = None) -> List[str]:
    """Sorted frame file names (extension in any case) of ``video``'s frames folder; a missing
    folder or one with no frame raises, naming it (``source``: the file that referred to the
    video, if any)."""
    if not osp.isdir(img_dir):
        by = f' (referred to by {source})' if source else ''
        raise DavisFileNotFoundError(f'frames folder {img_dir} of video {video}{by} not found '
                                     f'(expected its frames <frame>{exts[0]} there)', img_dir)
    frames = _files(img_dir, exts, any_case=True)
    if not frames:
        raise DavisFormatError(f'{img_dir}: video {video} has no frames (empty video; '
                               f'expected {" or ".join(exts)} files)', img_dir)
    return frames


def frame_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of a frame (the datasets take every frame of a video to have the
    first one's size; the loading transform checks it)."""
    with Image.open(path) as im:
        return im.size


def list_annotations(ann_dir: str, video: str) -> List[str]:
    """Sorted frame ids (stems) of ``video``'s annotation PNGs; a missing folder raises."""
    if not osp.isdir(ann_dir):
        raise DavisFileNotFoundError(f'annotations of video {video!r} not found: expected one '
                                     f'<frame>.png per annotated frame in {ann_dir}', ann_dir)
    return [stem(name) for name in _files(ann_dir, ('.png', ))]


def check_frames_annotated(img_dir: str, frames: Sequence[str], ann_dir: str,
                           annotated: Sequence[str]) -> None:
    """Every frame of ``img_dir`` has an annotation PNG (the evaluator's rule)."""
    have = set(annotated)
    missing = [stem(f) for f in frames if stem(f) not in have]
    if missing:
        path = osp.join(ann_dir, missing[0] + '.png')
        raise DavisFileNotFoundError(f'annotation {path} not found: every frame in {img_dir} '
                                     'needs one', path)


def check_annotations_have_frames(ann_dir: str, img_dir: str, frames: Sequence[str]) -> None:
    """Every annotation PNG of ``ann_dir`` (when it exists) has its frame (the datasets' rule:
    an orphan annotation means a frame is missing)."""
    if not osp.isdir(ann_dir):
        return
    have = {stem(f) for f in frames}
    orphans = [name for name in _files(ann_dir, ('.png', )) if stem(name) not in have]
    if orphans:
        path = osp.join(ann_dir, orphans[0])
        raise DavisFormatError(f'{path}: annotation without a frame (expected '
                               f'{osp.join(img_dir, stem(path))}.jpg); missing frame?', path)
