"""Pipeline step that attaches an image's weak labels (W-RSIS class tokens, counts)."""
import functools
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

from mmcv.transforms import BaseTransform
from mmsegsup.registry import TRANSFORMS

from ...formats.errors import FormatError
from ...formats.weak_labels import (WEAK_LABELS_COUNTS, WeakLabels, load_weak_labels,
                           normalize_weak_type, weak_labels_from_coco)


@TRANSFORMS.register_module()
class LoadWeakLabels(BaseTransform):
    """Add ``weak_tokens`` and ``weak_counts`` of the image to the results.

    W-RSIS is fed one class token per instance and the RSIS ablations (+IL, +IL+C) filter their
    predictions with the same weak labels, so both read them from the data sample's metainfo:
    pack them with ``PackDetInputs(meta_keys=(..., 'weak_tokens', 'weak_counts'))``.

    * ``weak_tokens``: one class index per instance, sorted by class
      (:meth:`WeakLabels.class_tokens`); one per present class for ``weak_type='labels'``.
    * ``weak_counts``: ``{class index: instances}``, or ``None`` for ``'labels'`` (no counts).

    The image is looked up by its file name: the longest trailing part of ``img_path`` that is a
    key of the file (normally the basename, as COCO ``file_name``s are).

    Args:
        weak_file: a weak-label JSON (see :mod:`mmsegsup.formats.weak_labels`).
        ann_file: instead, a COCO instances json whose weak labels are derived with
            :func:`weak_labels_from_coco`: exactly what an annotator would give for a weakly
            labeled split, so a strongly labeled split can evaluate the annotation network.
        weak_type: ``'labels+counts'`` (IL+C, default) or ``'labels'`` (IL); counts of a file
            can be dropped, not invented.
        classes: the dataset's classes in label order, which the indices refer to; default the
            file's ``classes`` (a COCO json's categories in id order, mmdet's label order).

    Files are read on first use (a dataset may write its annotations after the pipeline is
    built) and cached per path, modification time and options.
    """

    def __init__(self, weak_file: Optional[str] = None, ann_file: Optional[str] = None,
                 weak_type: str = WEAK_LABELS_COUNTS,
                 classes: Optional[Sequence[str]] = None) -> None:
        if (weak_file is None) == (ann_file is None):
            raise ValueError('LoadWeakLabels needs exactly one of weak_file (a weak-label '
                             f'json) and ann_file (a COCO json); got {weak_file!r} and '
                             f'{ann_file!r}')
        self.source = ('weak', weak_file) if weak_file is not None else ('coco', ann_file)
        self.weak_type = normalize_weak_type(weak_type)
        self.classes = None if classes is None else tuple(classes)

    def transform(self, results: dict) -> dict:
        weak = self.weak_labels()
        name = self._file_name(weak, results['img_path'])
        tokens = weak.class_tokens(name)
        counts = None
        if weak.weak_type == WEAK_LABELS_COUNTS:
            counts = {label: tokens.count(label) for label in weak.labels(name)}
        results['weak_tokens'] = tokens
        results['weak_counts'] = counts
        return results

    def weak_labels(self) -> WeakLabels:
        """The (cached) weak labels of the configured file."""
        kind, path = self.source
        stat = os.stat(path)  # a missing file raises FileNotFoundError naming it
        return load_weak_labels_cached(kind, osp.realpath(path), stat.st_mtime_ns, stat.st_size,
                                       self.weak_type, self.classes)

    @staticmethod
    def _file_name(weak: WeakLabels, img_path: str) -> str:
        parts = osp.normpath(img_path).split(os.sep)
        for start in range(len(parts)):
            name = '/'.join(parts[start:])
            if name in weak.images:
                return name
        raise FormatError(
            f'{weak.source}: no weak labels for image {parts[-1]!r} (img_path {img_path}); the '
            'weak labels must list every image of the split by its file_name')

    def __repr__(self) -> str:
        kind, path = self.source
        return (f'{self.__class__.__name__}({"weak_file" if kind == "weak" else "ann_file"}='
                f'{path!r}, weak_type={self.weak_type!r}, classes={self.classes!r})')


@functools.lru_cache(maxsize=16)
def load_weak_labels_cached(kind: str, path: str, mtime_ns: int, size: int, weak_type: str,
                            classes: Optional[Tuple[str, ...]]) -> WeakLabels:
    """The weak labels of a ``'weak'`` file or an ``'ann'`` COCO file, read once per file
    version (``mtime_ns``, ``size``): every image of every epoch asks for the same file. An
    ``functools.lru_cache``: ``cache_info()`` / ``cache_clear()``."""
    del mtime_ns, size  # only part of the cache key: a rewritten file is read again
    if kind == 'weak':
        return load_weak_labels(path, classes).as_weak_type(weak_type)
    weak = weak_labels_from_coco(path, weak_type)
    return weak if classes is None else _in_dataset_order(weak, classes)


def _in_dataset_order(weak: WeakLabels, classes: Tuple[str, ...]) -> WeakLabels:
    """``weak`` indexed by the dataset's ``classes``, which must be the same set of names."""
    if set(classes) != set(weak.classes):
        raise FormatError(
            f'{weak.source}: the categories {list(weak.classes)} are not the dataset classes '
            f'{list(classes)}; weak labels of a subset of classes would be ambiguous')
    return WeakLabels(weak.weak_type, classes, weak.images, source=weak.source)
