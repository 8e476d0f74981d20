"""Labels exchanged with annotation tools (Label Studio, CVAT): what their exporters and
importers share.

The images to label are a COCO dict of ours (``expected``). Predicted masks go out as COCO
results; what annotators submit comes back checked image by image (every expected image once,
known classes, well-formed non-empty masks of the image's size) and leaves as a COCO dict of
``expected``'s images and categories whose annotations are compressed RLEs: the same file a
person would have written by hand, so the loop reads every tool's labels alike. Every fault is
a :class:`~mmsegsup.formats.errors.FormatError` naming the source, the task / image and the
annotation, so a person can find it in the tool.
"""
import os.path as osp
from numbers import Real
from typing import Any, Dict, Hashable, List, Mapping, NamedTuple, Sequence

import numpy as np

from .coco_json import check_coco_lists, entries_by_id
from .errors import FormatError
from .json_files import load_json

#: What Datumaro (CVAT's COCO 1.0 exporter) writes as ``licenses``: its files' signature.
DATUMARO_LICENSES = [{'name': '', 'id': 0, 'url': ''}]


def describe_image(image: Mapping) -> str:
    """``image 3 ('a.png')``: how messages name an image."""
    return f'image {image["id"]!r} ({image["file_name"]!r})'


def entry_name(kind: str, entry: Any, k: int) -> str:
    """``task 12`` (its id) or ``task #3`` (its place, when it has no id): how messages name
    an entry of an export."""
    if isinstance(entry, Mapping) and 'id' in entry:
        return f'{kind} {entry["id"]!r}'
    return f'{kind} #{k}'


def is_known(key: Any, by_key: Mapping) -> bool:
    """``key`` is a key of ``by_key`` (an id of a broken file may be a list: not a key)."""
    return isinstance(key, Hashable) and key in by_key


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)


def _polygons_rle(polygons: list, height: int, width: int) -> dict:
    """COCO's own rasterisation of polygons ``[[x1, y1, x2, y2, ...], ...]`` (pixel units):
    what COCO tools make of them, merged into one mask."""
    import pycocotools.mask as mask_util
    for poly in polygons:
        if (not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2
                or not all(map(_is_number, poly))):
            raise ValueError('a polygon must be a list of at least 3 x, y number pairs')
    return mask_util.merge(mask_util.frPyObjects([[float(v) for v in poly]
                                                  for poly in polygons], height, width))


def _rle_dict(segmentation: Mapping, height: int, width: int) -> dict:
    """A COCO RLE (compressed ``counts`` str / bytes or uncompressed list) of an image of
    ``height`` x ``width``, as pycocotools' compressed RLE."""
    import pycocotools.mask as mask_util
    if list(segmentation.get('size', ())) != [height, width]:
        raise ValueError(f'RLE size {segmentation.get("size")!r} is not the image size '
                         f'[{height}, {width}]')
    counts = segmentation.get('counts')
    if isinstance(counts, list):
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts) \
                or sum(counts) != height * width:
            raise ValueError(f'uncompressed RLE counts must be non-negative ints summing to '
                             f'{height * width}')
        return mask_util.frPyObjects(dict(segmentation, counts=counts), height, width)
    if not isinstance(counts, (str, bytes)):
        raise ValueError('RLE counts must be a string or a list of ints')
    counts = counts.encode('ascii') if isinstance(counts, str) else counts
    runs = compressed_counts(counts)  # checked first: pycocotools decodes without bounds
    if min(runs, default=0) < 0 or sum(runs) != height * width:
        raise ValueError(f'RLE counts must be non-negative runs summing to {height * width}')
    return {'size': [height, width], 'counts': counts}


def compressed_counts(counts: bytes) -> List[int]:
    """The runs of a compressed COCO RLE string (pycocotools' ``rleFrString`` in Python:
    5-bit groups offset by 48, a sign bit, runs after the second stored as differences)."""
    runs: List[int] = []
    pos = 0
    while pos < len(counts):
        value, shift, more = 0, 0, True
        while more:
            if pos == len(counts) or not 48 <= counts[pos] < 112:
                raise ValueError('malformed compressed RLE counts')
            char = counts[pos] - 48
            value |= (char & 0x1f) << shift
            more = bool(char & 0x20)
            pos, shift = pos + 1, shift + 5
            if not more and char & 0x10:
                value |= -1 << shift
        runs.append(value + runs[-2] if len(runs) > 2 else value)
    return runs


def segmentation_rle(segmentation: Any, height: int, width: int) -> dict:
    """pycocotools' compressed RLE of a COCO ``segmentation`` (polygons, compressed or
    uncompressed RLE) on an image of ``height`` x ``width``; ValueError if malformed."""
    if isinstance(segmentation, list) and segmentation:
        return _polygons_rle(segmentation, height, width)
    if isinstance(segmentation, Mapping):
        try:
            return _rle_dict(segmentation, height, width)
        except (TypeError, UnicodeEncodeError) as err:
            raise ValueError(f'malformed RLE ({err})') from None
    raise ValueError('segmentation must be a non-empty list of polygons or an RLE dict')


def mask_rle(mask: np.ndarray) -> dict:
    """pycocotools' compressed RLE of one ``(H, W)`` binary mask."""
    import pycocotools.mask as mask_util
    return mask_util.encode(np.asfortranarray(mask, dtype=np.uint8))


def rle_mask(rle: dict) -> np.ndarray:
    """The ``(H, W)`` bool mask of a pycocotools RLE."""
    import pycocotools.mask as mask_util
    return mask_util.decode(rle).astype(bool)


def instance_annotation(ann_id: int, image_id: Any, category_id: Any, rle: dict) -> dict:
    """A COCO annotation of a mask: compressed RLE with ``counts`` as str (JSON-safe), its
    area and box."""
    import pycocotools.mask as mask_util
    counts = rle['counts']
    return {'id': ann_id, 'image_id': image_id, 'category_id': category_id,
            'segmentation': {'size': [int(s) for s in rle['size']],
                             'counts': counts.decode('ascii') if isinstance(counts, bytes)
                             else counts},
            'area': int(mask_util.area(rle)),
            'bbox': [float(v) for v in mask_util.toBbox(rle)], 'iscrowd': 0}


class Prediction(NamedTuple):
    """One predicted mask of an image: class, pycocotools RLE and score."""
    category_id: Any
    rle: dict
    score: float


class ExpectedLabels:
    """The images a tool's export must label (``coco``: our COCO dict) and the annotations
    collected from it so far; :meth:`finish` returns the labels once every image has come.

    ``source`` (the export file, for messages) prefixes every error.
    """

    def __init__(self, coco: Mapping, source: str) -> None:
        self.source = source
        check_coco_lists(coco, source, ('images', 'categories'))
        self.coco = coco
        self.images = entries_by_id(coco['images'], 'images', f'{source}: expected images',
                                    ('id', 'file_name', 'width', 'height'))
        self.by_file_name = self._unique({im['file_name']: im for im in self.images.values()},
                                         'file_name', len(self.images))
        categories = entries_by_id(coco['categories'], 'categories',
                                   f'{source}: expected categories', ('id', 'name'))
        self.category_ids = self._unique({c['name']: c['id'] for c in categories.values()},
                                         'category name', len(categories))
        self.claimed: Dict[Any, str] = {}
        self.annotations: List[dict] = []

    def _unique(self, by_key: dict, key: str, count: int) -> dict:
        if len(by_key) != count:
            raise FormatError(f'{self.source}: the expected COCO dict repeats a {key}')
        return by_key

    def error(self, where: str, what: str) -> FormatError:
        """The error for ``what`` is wrong at ``where`` (task / image / annotation)."""
        return FormatError(f'{self.source}: {where}: {what}', self.source)

    def image_by_id(self, image_id: Any, where: str) -> Mapping:
        """The expected image ``image_id``; an unknown one is an error at ``where``."""
        if not is_known(image_id, self.images):
            raise self._unknown_image(where, f'image id {image_id!r}')
        return self.images[image_id]

    def image_by_file_name(self, file_name: Any, where: str) -> Mapping:
        """The expected image named ``file_name``, else the only one with its base name (tools
        keep the uploaded file's name, not our folders)."""
        if is_known(file_name, self.by_file_name):
            return self.by_file_name[file_name]
        base = [im for name, im in self.by_file_name.items()
                if isinstance(file_name, str) and osp.basename(name) == osp.basename(file_name)]
        if len(base) != 1:
            raise self._unknown_image(where, f'image {file_name!r}')
        return base[0]

    def _unknown_image(self, where: str, image: str) -> FormatError:
        return self.error(where, f'unknown {image} (not among the {len(self.images)} images '
                          'to label)')

    def category_id(self, name: Any, where: str) -> Any:
        """Our id of the class ``name``; a class not in the dataset is an error at ``where``."""
        if not is_known(name, self.category_ids):
            raise self.error(where, f'class {name!r} is not in the dataset (expected one of '
                             f'{", ".join(sorted(self.category_ids))})')
        return self.category_ids[name]

    def claim(self, image: Mapping, where: str) -> None:
        """``where`` labels ``image``; a second labeling of the same image is an error."""
        if image['id'] in self.claimed:
            raise self.error(where, f'{describe_image(image)} is annotated twice (also by '
                             f'{self.claimed[image["id"]]})')
        self.claimed[image['id']] = where

    def add(self, image: Mapping, category_id: Any, rle: dict, where: str) -> None:
        """Add a submitted mask of ``image``; an empty one is an error at ``where``."""
        ann = instance_annotation(len(self.annotations) + 1, image['id'], category_id, rle)
        if ann['area'] == 0:
            raise self.error(where, 'empty mask')
        self.annotations.append(ann)

    def finish(self) -> dict:
        """``coco`` with the collected annotations (image order); an expected image that no
        task / entry labeled is an error naming them."""
        missing = [im for im in self.images.values() if im['id'] not in self.claimed]
        if missing:
            shown = ', '.join(describe_image(im) for im in missing[:5])
            more = f' and {len(missing) - 5} more' if len(missing) > 5 else ''
            raise FormatError(f'{self.source}: no submitted annotation for {len(missing)} '
                              f'expected image(s): {shown}{more}', self.source)
        order = {image_id: k for k, image_id in enumerate(self.images)}
        anns = sorted(self.annotations, key=lambda a: order[a['image_id']])
        for k, ann in enumerate(anns, 1):
            ann['id'] = k
        return dict(self.coco, annotations=anns)


def predictions_by_image(expected: 'ExpectedLabels', predictions: Sequence[Mapping]
                         ) -> Dict[Any, List[Prediction]]:
    """Our COCO results (``image_id``, ``category_id``, ``segmentation``, ``score``) grouped
    by image of ``expected`` (every image, in order), every one checked: known image and
    class, a mask of the image's size, a finite score."""
    known = {cid: cid for cid in expected.category_ids.values()}
    out: Dict[Any, List[Prediction]] = {image_id: [] for image_id in expected.images}
    for k, pred in enumerate(predictions):
        where = f'prediction #{k}'
        if not isinstance(pred, Mapping):
            raise expected.error(where, f'expected an object, got {type(pred).__name__}')
        image = expected.image_by_id(pred.get('image_id'), where)
        where = f'prediction #{k} of {describe_image(image)}'
        if not is_known(pred.get('category_id'), known):
            raise expected.error(where, f'unknown category_id {pred.get("category_id")!r}')
        if not _is_number(pred.get('score')):
            raise expected.error(where, f'score must be a finite number, got '
                                 f'{pred.get("score")!r}')
        try:
            rle = segmentation_rle(pred.get('segmentation'), image['height'], image['width'])
        except ValueError as err:
            raise expected.error(where, str(err)) from None
        out[image['id']].append(Prediction(pred['category_id'], rle, float(pred['score'])))
    return out


def detect_label_format(path: str) -> str:
    """Which tool wrote the labels file ``path``: ``'label_studio'`` (Label Studio's JSON
    export: a list of tasks), ``'cvat_coco'`` (COCO 1.0 as CVAT / Datumaro write it, whose ids
    are the tool's: images match by file name, classes by name) or ``'coco'`` (ours)."""
    data = load_json(path, 'labels')
    if isinstance(data, list):
        return 'label_studio'
    check_coco_lists(data, path)
    return 'cvat_coco' if data.get('licenses') == DATUMARO_LICENSES else 'coco'

