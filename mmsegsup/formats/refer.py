"""The refer toolkit's files (lichengunc/refer) for RefCOCO, RefCOCO+ and RefCOCOg: the refs
pickles, their JSON conversion, the referents' ``instances.json`` and the split rules; the
dataset is :class:`mmsegsup.datasets.RefCOCODataset`.

Layout under ``data_root`` (as the refer API expects it)::

    <dataset>/instances.json        COCO images / annotations / categories of the referents
    <dataset>/refs(<split_by>).p    Python 2 pickle: list of refs (see below)
    <dataset>/refs(<split_by>).json the same list converted by :func:`refer_to_json` (preferred)
    images/mscoco/images/train2014/COCO_train2014_*.jpg

Each ref is ``{ref_id, ann_id, image_id, category_id, split, file_name, sent_ids, sentences}``
with ``sentences`` a list of ``{sent_id, raw, sent, tokens}``; ``raw`` is the annotator's text,
``sent`` a lower-cased cleaned copy, ``file_name`` a per-ref name that names no real file (the
image's name comes from ``instances.json``). The pickles are read with
:func:`mmsegsup.formats.safe_pickle.safe_load_pickle`, which cannot run code. Bad files raise
:class:`~mmsegsup.formats.errors.FormatError` naming the file.
"""
import json
import os.path as osp
from collections import Counter
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..utils.io import dump_json_atomic
from .coco_json import load_coco_json
from .errors import FormatError, MissingFileError
from .json_files import load_json
from .safe_pickle import safe_load_pickle

__all__ = ['REFER_SPLITS', 'REFER_IMG_PREFIX', 'check_refer_split', 'in_refer_split',
           'load_refs', 'refer_to_json', 'load_refer_instances', 'ReferInstances',
           'index_refer_instances', 'ref_target', 'sentence_text', 'ref_sentences']

# (dataset, split_by) -> splits, as released by the refer toolkit; RefCOCOg's Google test
# split was never released, its UMD split is the one with disjoint images.
REFER_SPLITS: Dict[Tuple[str, str], Tuple[str, ...]] = {
    ('refcoco', 'unc'): ('train', 'val', 'testA', 'testB'),
    ('refcoco', 'google'): ('train', 'val', 'test'),
    ('refcoco+', 'unc'): ('train', 'val', 'testA', 'testB'),
    ('refcocog', 'umd'): ('train', 'val', 'test'),
    ('refcocog', 'google'): ('train', 'val'),
}
REFER_IMG_PREFIX = 'images/mscoco/images/train2014'
REF_KEYS = ('ref_id', 'ann_id', 'image_id', 'split', 'sentences')
IMAGE_KEYS = ('id', 'file_name', 'height', 'width')
ANN_KEYS = ('id', 'image_id', 'category_id', 'segmentation')


def check_refer_split(dataset: str, split_by: str, split: str) -> None:
    """Raise ``ValueError`` unless ``split`` of ``dataset`` split by ``split_by`` exists."""
    datasets = sorted({d for d, _ in REFER_SPLITS})
    if dataset not in datasets:
        raise ValueError(f'dataset must be one of {datasets}, got {dataset!r}')
    by = sorted(s for d, s in REFER_SPLITS if d == dataset)
    if split_by not in by:
        raise ValueError(f'{dataset} is split by {" or ".join(by)}, got split_by={split_by!r}')
    splits = REFER_SPLITS[(dataset, split_by)]
    if split not in splits:
        raise ValueError(f'{dataset} ({split_by}) has the splits {list(splits)}, got '
                         f'split={split!r}')


def in_refer_split(ref_split: str, split: str) -> bool:
    """Whether a ref labelled ``ref_split`` belongs to ``split`` (refer's ``getRefIds`` rule:
    ``test`` takes every test split, ``testA`` also takes ``testAB``-style labels)."""
    if split in ('train', 'val'):
        return ref_split == split
    if split == 'test':
        return ref_split.startswith('test')
    return ref_split.startswith('test') and split[-1] in ref_split[4:]


def _check_refs(refs: Any, path: str) -> List[dict]:
    if not isinstance(refs, list):
        raise FormatError(f'{path}: expected a list of refs, got {type(refs).__name__}')
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict):
            raise FormatError(f'{path}: ref #{i} is a {type(ref).__name__}, expected a '
                              'dict')
        missing = [k for k in REF_KEYS if k not in ref]
        if missing:
            raise FormatError(f'{path}: ref #{i} (ref_id {ref.get("ref_id")}) lacks '
                              f'{missing}; refs hold {list(REF_KEYS)}')
        if not isinstance(ref['sentences'], list) or not all(
                isinstance(s, dict) and 'sent_id' in s for s in ref['sentences']):
            raise FormatError(f'{path}: ref_id {ref["ref_id"]}: "sentences" must be a '
                              'list of dicts with a "sent_id"')
    return refs


def load_refs(path: str) -> List[dict]:
    """The refs list of a refer ``refs(*).p`` pickle or its ``.json`` conversion, checked."""
    if not osp.isfile(path):
        raise MissingFileError(f'refs file {path} not found', path)
    refs = load_json(path, 'refs') if path.endswith('.json') else safe_load_pickle(path)
    return _check_refs(refs, path)


def refer_to_json(pickle_path: str, out_path: Optional[str] = None) -> str:
    """Convert a refer pickle to JSON (default ``refs(<split_by>).json`` beside it).

    JSON loads fast, safely and in any language; :class:`RefCOCODataset` prefers it. The file
    is written atomically and holds exactly the pickle's refs. Returns the output path.
    """
    refs = load_refs(pickle_path)
    out_path = out_path or osp.splitext(pickle_path)[0] + '.json'
    try:
        json.dumps(refs)
    except (TypeError, ValueError) as err:
        raise FormatError(f'{pickle_path}: refs hold data JSON cannot store '
                          f'({err})') from err
    dump_json_atomic(refs, out_path)
    return out_path


def load_refer_instances(path: str) -> dict:
    """The referents' COCO ``instances.json``, its images and annotations checked to hold the
    fields the refer datasets read."""
    instances = load_coco_json(path, ('images', 'annotations'), 'refer instances file')
    for field, keys in (('images', IMAGE_KEYS), ('annotations', ANN_KEYS)):
        for i, entry in enumerate(instances[field]):
            if not isinstance(entry, dict) or any(k not in entry for k in keys):
                raise FormatError(f'{path}: {field}[{i}] must be a dict with {list(keys)}, '
                                  f'got {entry!r:.100}')
    return instances


class ReferInstances(NamedTuple):
    """The referents' ``instances.json`` (``path``) indexed: annotations and images by id, and
    how many annotations each (image, category) pair has."""
    path: str
    annotations: Dict[Any, dict]
    images: Dict[Any, dict]
    per_class: Counter

    def trivial(self, ann: dict) -> bool:
        """Whether ``ann`` is the only annotation of its category in its image (crowd regions
        count: they are more objects of the class)."""
        return self.per_class[(ann['image_id'], ann['category_id'])] == 1


def index_refer_instances(path: str) -> ReferInstances:
    """Load (:func:`load_refer_instances`) and index the referents' ``instances.json``."""
    instances = load_refer_instances(path)
    anns = {ann['id']: ann for ann in instances['annotations']}
    return ReferInstances(path, anns, {img['id']: img for img in instances['images']},
                          Counter((a['image_id'], a['category_id']) for a in anns.values()))


def ref_target(ref: dict, refs_file: str, instances: ReferInstances) -> Tuple[dict, dict]:
    """The (annotation, image) of ``instances`` that ``ref`` refers to, checked to exist and
    to agree on the image."""
    ref_id = ref['ref_id']
    for key, known in (('ann_id', instances.annotations), ('image_id', instances.images)):
        if ref[key] not in known:
            raise FormatError(f'{refs_file}: ref_id {ref_id} refers to {key} {ref[key]}, '
                              f'which {instances.path} does not hold', refs_file)
    ann, img = instances.annotations[ref['ann_id']], instances.images[ref['image_id']]
    if ann['image_id'] != ref['image_id']:
        raise FormatError(f'{refs_file}: ref_id {ref_id} has image_id {ref["image_id"]} but '
                          f'its ann_id {ann["id"]} lies in image {ann["image_id"]} in '
                          f'{instances.path}', refs_file)
    return ann, img


def sentence_text(sent: dict) -> str:
    """The annotator's ``raw`` text of a sentence, else its cleaned ``sent``; '' if neither."""
    for key in ('raw', 'sent'):
        text = sent.get(key)
        if isinstance(text, str) and text.strip():
            return text
    return ''


def ref_sentences(ref: dict, refs_file: str, seen: Dict[Any, Any]) -> List[Tuple[Any, str]]:
    """``(sent_id, text)`` of each sentence of ``ref``: every text non-empty, every sent_id
    unique in the file (``seen``: sent_id -> ref_id of the refs read so far, updated)."""
    out = []
    for sent in ref['sentences']:
        sent_id, text = sent['sent_id'], sentence_text(sent)
        if not text:
            raise FormatError(f'{refs_file}: ref_id {ref["ref_id"]}, sent_id {sent_id}: '
                              'empty sentence (no "raw" or "sent" text)', refs_file)
        if sent_id in seen:
            raise FormatError(f'{refs_file}: sent_id {sent_id} appears in ref_id '
                              f'{seen[sent_id]} and ref_id {ref["ref_id"]}', refs_file)
        seen[sent_id] = ref['ref_id']
        out.append((sent_id, text))
    return out
