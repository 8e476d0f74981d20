"""Weak labels of W-RSIS (thesis ch. 4.6.1): image labels, or image labels plus counts.

W-RSIS, the weakly-supervised recurrent instance segmenter that BASIS uses as its annotation
network, is trained on images whose only annotation is the set of classes present
(``"labels"``) or that set together with how many instances of each class the image holds
(``"labels+counts"``). This module stores both in one JSON file::

    {"format": "mmsegsup-weak-labels", "version": 1,
     "weak_type": "labels" | "labels+counts",
     "classes": ["circle", "square", ...],
     "images": {"<file_name>": {"<class name>": <count>, ...}, ...}}

* ``classes``: the class names of the dataset, in label order (for a COCO file: its
  ``categories`` in category-id order). They are the vocabulary the annotator checked: a class of
  ``classes`` missing from an image means "not present in this image".
* ``images``: keyed by the image ``file_name`` exactly as in the COCO json; each value maps the
  classes present to their instance count, an integer >= 1. An image with no object maps to
  ``{}``. For ``"labels"`` every count is 1 (presence only).

The weak types correspond to the supervision kinds (:mod:`mmsegsup.formats.supervision`, the
budget model's vocabulary): ``"labels"`` is ``image_labels`` (IL) and
``"labels+counts"`` is ``labels_counts`` (IL+C); those names and aliases are accepted wherever a
weak type is asked for, and files always store the two names above.

Files are validated on load and before saving; every problem raises
:class:`~mmsegsup.formats.errors.FormatError` naming the file and the image / field at fault.
Convert a COCO instances json with ``tools/dataset_converters/coco_to_weak_labels.py``.
"""
import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..utils.io import dump_json_atomic
from .coco_json import index_coco, load_coco_json
from .errors import FormatError
from .supervision import IMAGE_LABELS, LABELS_COUNTS, normalize_kind

__all__ = [
    'FORMAT_TAG', 'FORMAT_VERSION', 'WEAK_LABELS', 'WEAK_LABELS_COUNTS', 'WEAK_TYPES',
    'BUDGET_KINDS', 'WeakLabels', 'normalize_weak_type', 'load_weak_labels', 'save_weak_labels',
    'weak_labels_from_coco', 'check_against_annotations'
]

FORMAT_TAG = 'mmsegsup-weak-labels'
FORMAT_VERSION = 1

WEAK_LABELS = 'labels'
WEAK_LABELS_COUNTS = 'labels+counts'
WEAK_TYPES = (WEAK_LABELS, WEAK_LABELS_COUNTS)

#: The supervision kind of :mod:`mmsegsup.budget.cost_model` that prices each weak type.
BUDGET_KINDS = {WEAK_LABELS: IMAGE_LABELS, WEAK_LABELS_COUNTS: LABELS_COUNTS}
_FROM_BUDGET_KIND = {kind: weak_type for weak_type, kind in BUDGET_KINDS.items()}

PathLike = Union[str, os.PathLike]


def normalize_weak_type(weak_type: Any) -> str:
    """``"labels"`` or ``"labels+counts"`` for those or a budget kind / alias (IL, IL+C...).

    Raises ``ValueError`` for anything else (boxes and full masks are not weak labels here).
    """
    if weak_type in WEAK_TYPES:
        return weak_type
    try:
        kind = normalize_kind(weak_type, 'weak_type')
    except ValueError:
        kind = None
    if kind not in _FROM_BUDGET_KIND:
        raise ValueError(f'unknown weak_type {weak_type!r}; expected one of '
                         f'{", ".join(map(repr, WEAK_TYPES))}')
    return _FROM_BUDGET_KIND[kind]


@dataclass
class WeakLabels:
    """The weak labels of a set of images; see the module docstring for the meaning of fields.

    ``source`` names where they came from (a file), so later errors can point at it.
    """

    weak_type: str
    classes: Tuple[str, ...]
    images: Dict[str, Dict[str, int]]
    source: str = field(default='<WeakLabels>', compare=False)

    def __post_init__(self) -> None:
        self.weak_type = normalize_weak_type(self.weak_type)
        self.classes = tuple(self.classes)

    def counts(self, file_name: str) -> Dict[str, int]:
        """Instances per class present in the image (a copy; 1s for ``"labels"``)."""
        return dict(self._image(file_name))

    def labels(self, file_name: str) -> List[int]:
        """Sorted indices (into ``classes``) of the classes present: the image-label target."""
        index = self._class_index()
        return sorted(index[name] for name in self._image(file_name))

    def class_tokens(self, file_name: str) -> List[int]:
        """The W-RSIS input: one class index per recurrent step, i.e. per instance.

        A class is repeated once per instance; tokens are ordered by class index, so one image
        always gives the same sequence. With ``"labels"`` each present class appears once.
        """
        counts = self._image(file_name)
        return [label for label in self.labels(file_name)
                for _ in range(counts[self.classes[label]])]

    def num_instances(self) -> int:
        """Total count over all images (the number of (image, class) pairs for ``"labels"``)."""
        return sum(sum(counts.values()) for counts in self.images.values())

    def as_weak_type(self, weak_type: str) -> 'WeakLabels':
        """The same labels as ``weak_type``: counts can be dropped, not invented."""
        weak_type = normalize_weak_type(weak_type)
        if weak_type == self.weak_type:
            return self
        if weak_type == WEAK_LABELS_COUNTS:
            raise ValueError(f'{self.source}: image labels hold no counts; cannot make '
                             f'{WEAK_LABELS_COUNTS!r} weak labels from them')
        images = {name: {cls: 1 for cls in counts} for name, counts in self.images.items()}
        return replace(self, weak_type=weak_type, images=images)

    def to_dict(self) -> Dict[str, Any]:
        """The JSON document of this object (the file format)."""
        return dict(format=FORMAT_TAG, version=FORMAT_VERSION, weak_type=self.weak_type,
                    classes=list(self.classes),
                    images={name: dict(counts) for name, counts in self.images.items()})

    def _image(self, file_name: str) -> Dict[str, int]:
        if file_name not in self.images:
            raise KeyError(f'{self.source}: no weak labels for image {file_name!r}')
        return self.images[file_name]

    def _class_index(self) -> Dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}


# ---- reading and validating ----------------------------------------------------------------

def load_weak_labels(path: PathLike, classes: Optional[Sequence[str]] = None) -> WeakLabels:
    """Read and validate a weak-label file.

    ``classes``: the class names of the dataset the labels will train (its metainfo, in label
    order). When given, an image naming a class the dataset lacks is an error, a dataset class
    missing from the file's vocabulary is an error (its absence would read as "not present"),
    and the returned object uses the dataset's ``classes`` so that ``labels`` / ``class_tokens``
    index the dataset's labels.
    """
    path = os.fspath(path)
    return _from_dict(_read_json(path), path, classes)


def save_weak_labels(weak: WeakLabels, path: PathLike) -> None:
    """Validate ``weak`` and write it to ``path`` atomically (no half-written file is seen)."""
    path = os.fspath(path)
    data = weak.to_dict()
    _from_dict(data, path)
    dump_json_atomic(data, path)


def _read_json(path: str) -> Any:
    """The JSON document at ``path``; unreadable JSON or repeated keys name the file."""
    with open(path, 'rb') as f:  # a missing file raises FileNotFoundError naming it
        raw = f.read()
    try:
        return json.loads(raw, object_pairs_hook=_no_repeated_keys)
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, a repeated key
        raise FormatError(f'{path}: not a readable weak-label JSON file ({err})') from err


def _no_repeated_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    """JSON object hook: a repeated key (an image listed twice) is an error, not a last-wins."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        repeated = next(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
        raise ValueError(f'key {repeated!r} appears more than once in one object')
    return obj


def _from_dict(data: Any, where: str, dataset_classes: Optional[Sequence[str]] = None
               ) -> WeakLabels:
    """A validated ``WeakLabels`` from a parsed document; errors name ``where``."""
    weak_type, file_classes, images = _check_header(data, where)
    classes = file_classes
    if dataset_classes is not None:
        classes = _check_classes(list(dataset_classes), where, 'the dataset classes')
        _check_vocabulary(classes, file_classes, where)
    checked = {name: _check_image(name, counts, weak_type, file_classes, classes, where)
               for name, counts in images.items()}
    return WeakLabels(weak_type, classes, checked, source=where)


def _check_header(data: Any, where: str) -> Tuple[str, Tuple[str, ...], Dict[str, Any]]:
    """The weak type, classes and raw images of a document whose header is valid."""
    if not isinstance(data, Mapping):
        raise FormatError(f'{where}: expected a JSON object, got {type(data).__name__}')
    if data.get('format') != FORMAT_TAG:
        raise FormatError(f'{where}: "format" is {data.get("format")!r}, expected '
                          f'{FORMAT_TAG!r}; not a weak-label file')
    version = data.get('version')
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise FormatError(f'{where}: unsupported "version" {version!r}; this reader '
                          f'knows version {FORMAT_VERSION}')
    try:
        weak_type = normalize_weak_type(data.get('weak_type'))
    except ValueError as err:
        raise FormatError(f'{where}: "weak_type": {err}') from err
    classes = _check_classes(data.get('classes'), where, '"classes"')
    images = data.get('images')
    if not isinstance(images, Mapping):
        raise FormatError(f'{where}: "images" must be an object mapping image file '
                          f'names to class counts, got {type(images).__name__}')
    return weak_type, classes, dict(images)


def _check_classes(classes: Any, where: str, what: str) -> Tuple[str, ...]:
    """Class names: a non-empty list of distinct non-empty strings."""
    if not isinstance(classes, (list, tuple)) or not classes:
        raise FormatError(f'{where}: {what} must be a non-empty list of class names, '
                          f'got {classes!r}')
    bad = [name for name in classes if not isinstance(name, str) or not name]
    if bad:
        raise FormatError(f'{where}: {what} holds {bad[0]!r}, not a class name')
    repeated = sorted({name for name in classes if classes.count(name) > 1})
    if repeated:
        raise FormatError(f'{where}: {what} lists {repeated[0]!r} more than once')
    return tuple(classes)


def _check_vocabulary(dataset_classes: Tuple[str, ...], file_classes: Tuple[str, ...],
                      where: str) -> None:
    """Every dataset class must have been checked by the annotator, or absence means nothing."""
    unchecked = [name for name in dataset_classes if name not in file_classes]
    if unchecked:
        raise FormatError(
            f'{where}: dataset class {unchecked[0]!r} is not in the file\'s "classes" '
            f'{list(file_classes)}: its absence from an image would wrongly read as "not '
            'present"')


def _check_image(name: str, counts: Any, weak_type: str, file_classes: Tuple[str, ...],
                 classes: Tuple[str, ...], where: str) -> Dict[str, int]:
    """The validated counts of one image, ordered by class index."""
    if not name:
        raise FormatError(f'{where}: "images" has an empty file name')
    if not isinstance(counts, Mapping):
        raise FormatError(f'{where}: image {name!r}: expected an object of class counts '
                          f'({{}} for no object), got {counts!r}')
    for cls, count in counts.items():
        _check_count(name, cls, count, weak_type, file_classes, classes, where)
    index = {cls: i for i, cls in enumerate(classes)}
    return {cls: counts[cls] for cls in sorted(counts, key=index.__getitem__)}


def _check_count(image: str, cls: str, count: Any, weak_type: str,
                 file_classes: Tuple[str, ...], classes: Tuple[str, ...], where: str) -> None:
    """One ``class: count`` entry of an image."""
    at = f'{where}: image {image!r}'
    if cls not in file_classes:
        raise FormatError(f'{at}: weak label names class {cls!r}, which is not in the '
                          f'file\'s "classes" {list(file_classes)}')
    if cls not in classes:
        raise FormatError(f'{at}: weak label names a class the dataset lacks: {cls!r} '
                          f'(dataset classes: {list(classes)})')
    if isinstance(count, bool) or not isinstance(count, int):
        raise FormatError(f'{at}: count of class {cls!r} must be an integer, got '
                          f'{count!r}')
    if count < 1:
        raise FormatError(f'{at}: count of class {cls!r} is {count}; counts are >= 1 '
                          '(leave an absent class out)')
    if weak_type == WEAK_LABELS and count != 1:
        raise FormatError(f'{at}: count of class {cls!r} is {count}, but weak_type '
                          f'{WEAK_LABELS!r} holds presence only (every count is 1)')


# ---- from and against COCO annotations -----------------------------------------------------

def weak_labels_from_coco(ann_file: PathLike, weak_type: str = WEAK_LABELS_COUNTS,
                          ignore_crowd: bool = True) -> WeakLabels:
    """The weak labels a COCO instances json implies: what an annotator would have given.

    Classes are the ``categories`` names in category-id order (mmdet's label order); counts are
    the instances per image and class, crowd regions skipped unless ``ignore_crowd`` is False
    (a crowd is not one countable instance). Every image of the json is listed.
    """
    ann_file = os.fspath(ann_file)
    weak_type = normalize_weak_type(weak_type)
    index = index_coco(load_coco_json(ann_file), ann_file, image_keys=('id', 'file_name'),
                       category_keys=('id', 'name'))
    cat_names = _coco_categories(index.categories, ann_file)
    file_names = _coco_images(index.images, ann_file)
    per_image: Dict[Any, Counter] = {image_id: Counter() for image_id in file_names}
    for ann in index.annotations:
        if not (ignore_crowd and ann.get('iscrowd', 0)):
            per_image[ann['image_id']][cat_names[ann['category_id']]] += 1
    classes = tuple(cat_names.values())
    images = {file_names[image_id]: _in_class_order(counts, classes)
              for image_id, counts in per_image.items()}
    weak = WeakLabels(WEAK_LABELS_COUNTS, classes, images, source=ann_file)
    return weak.as_weak_type(weak_type)


def check_against_annotations(weak: WeakLabels, ann_file: PathLike,
                              ignore_crowd: bool = True) -> None:
    """Raise ``FormatError`` unless ``weak`` is what the strong annotation implies.

    Both sides must list the same images, and every image the same counts (the same classes
    for ``"labels"``); the first difference is named with both values.
    """
    ann_file = os.fspath(ann_file)
    strong = weak_labels_from_coco(ann_file, weak.weak_type, ignore_crowd)
    where = f'{weak.source} vs {ann_file}'
    _check_same_images(weak, strong, where)
    mismatches = [(name, cls, weak.images[name].get(cls, 0), strong.images[name].get(cls, 0))
                  for name in weak.images
                  for cls in _union(weak.images[name], strong.images[name])
                  if weak.images[name].get(cls, 0) != strong.images[name].get(cls, 0)]
    if mismatches:
        name, cls, weak_count, strong_count = mismatches[0]
        raise FormatError(
            f'{where}: counts that do not match the strong annotation: image {name!r}, class '
            f'{cls!r}: weak labels say {weak_count}, the annotation has {strong_count}'
            f'{_more(len({m[0] for m in mismatches}) - 1, "image")}')


def _check_same_images(weak: WeakLabels, strong: WeakLabels, where: str) -> None:
    for missing, side in ((set(strong.images) - set(weak.images), 'the weak labels'),
                          (set(weak.images) - set(strong.images), 'the strong annotation')):
        if missing:
            first = sorted(missing)[0]
            raise FormatError(f'{where}: image {first!r} is missing from {side}'
                              f'{_more(len(missing) - 1, "image")}')


def _union(a: Mapping[str, int], b: Mapping[str, int]) -> List[str]:
    return list(a) + [key for key in b if key not in a]


def _more(n: int, what: str) -> str:
    return f' (and {n} more {what}{"s" if n > 1 else ""})' if n > 0 else ''


def _in_class_order(counts: Mapping[str, int], classes: Tuple[str, ...]) -> Dict[str, int]:
    return {cls: counts[cls] for cls in classes if counts.get(cls)}


def _coco_categories(categories: Mapping[Any, Mapping], ann_file: str) -> Dict[Any, str]:
    """Category id -> name, in category-id order (mmdet's label order)."""
    by_id = {cat_id: categories[cat_id]['name'] for cat_id in sorted(categories)}
    _check_classes(list(by_id.values()), ann_file, 'the category names')
    return by_id


def _coco_images(images: Mapping[Any, Mapping], ann_file: str) -> Dict[Any, str]:
    """Image id -> file_name; weak labels are keyed by file_name, so it must be unique."""
    seen = set()
    for image_id, image in images.items():
        file_name = image['file_name']
        if not isinstance(file_name, str) or not file_name:
            raise FormatError(f'{ann_file}: image {image_id!r} has file_name '
                              f'{file_name!r}, not a file name', ann_file)
        if file_name in seen:
            raise FormatError(f'{ann_file}: file_name {file_name!r} of image {image_id!r} '
                              'appears more than once', ann_file)
        seen.add(file_name)
    return {image_id: image['file_name'] for image_id, image in images.items()}
