"""RefCOCO, RefCOCO+ and RefCOCOg in the layout of the official refer toolkit (lichengunc/refer).

Layout under ``data_root`` (as the refer API expects it)::

    <dataset>/instances.json        COCO images / annotations / categories of the referents
    <dataset>/refs(<split_by>).p    Python 2 pickle: list of refs (see below)
    <dataset>/refs(<split_by>).json the same list converted by :func:`refer_to_json` (preferred)
    images/mscoco/images/train2014/COCO_train2014_*.jpg

Each ref is ``{ref_id, ann_id, image_id, category_id, split, file_name, sent_ids, sentences}``
with ``sentences`` a list of ``{sent_id, raw, sent, tokens}``; ``raw`` is the annotator's text,
``sent`` a lower-cased cleaned copy, ``file_name`` a per-ref name that names no real file (the
image's name comes from ``instances.json``). The pickles are read with
:func:`mmsegsup.utils.safe_pickle.safe_load_pickle`, which cannot run code.
"""
import json
import logging
import os.path as osp
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..utils.errors import DatasetFormatError
from ..utils.io import dump_json_atomic
from ..utils.safe_pickle import safe_load_pickle
from .sentence_draw import draw_sentence, fold_sentences

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
SAMPLE_UNITS = ('sentence', 'ref')


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
        raise DatasetFormatError(f'{path}: expected a list of refs, got {type(refs).__name__}')
    for i, ref in enumerate(refs):
        if not isinstance(ref, dict):
            raise DatasetFormatError(f'{path}: ref #{i} is a {type(ref).__name__}, expected a '
                                     'dict')
        missing = [k for k in REF_KEYS if k not in ref]
        if missing:
            raise DatasetFormatError(f'{path}: ref #{i} (ref_id {ref.get("ref_id")}) lacks '
                                     f'{missing}; refs hold {list(REF_KEYS)}')
        if not isinstance(ref['sentences'], list) or not all(
                isinstance(s, dict) and 'sent_id' in s for s in ref['sentences']):
            raise DatasetFormatError(f'{path}: ref_id {ref["ref_id"]}: "sentences" must be a '
                                     'list of dicts with a "sent_id"')
    return refs


def load_refs(path: str) -> List[dict]:
    """The refs list of a refer ``refs(*).p`` pickle or its ``.json`` conversion, checked."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'refs file {path} not found')
    if path.endswith('.json'):
        try:
            with open(path, encoding='utf-8') as f:
                refs = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise DatasetFormatError(f'{path}: not valid JSON ({err})') from err
    else:
        refs = safe_load_pickle(path)
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
        raise DatasetFormatError(f'{pickle_path}: refs hold data JSON cannot store '
                                 f'({err})') from err
    dump_json_atomic(refs, out_path)
    return out_path


def _load_instances(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'instances file {path} not found (refer layout: '
                                '<data_root>/<dataset>/instances.json)')
    try:
        with open(path, encoding='utf-8') as f:
            instances = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetFormatError(f'{path}: not valid JSON ({err})') from err
    if not isinstance(instances, dict) or not all(
            isinstance(instances.get(k), list) for k in ('images', 'annotations')):
        raise DatasetFormatError(f'{path}: expected a COCO instances dict with "images" and '
                                 '"annotations" lists')
    for field, keys in (('images', IMAGE_KEYS), ('annotations', ANN_KEYS)):
        for i, entry in enumerate(instances[field]):
            if not isinstance(entry, dict) or any(k not in entry for k in keys):
                raise DatasetFormatError(f'{path}: {field}[{i}] must be a dict with {list(keys)}, '
                                         f'got {entry!r:.100}')
    return instances


def _sentence_text(sent: dict) -> str:
    for key in ('raw', 'sent'):
        text = sent.get(key)
        if isinstance(text, str) and text.strip():
            return text
    return ''


@DATASETS.register_module()
class RefCOCODataset(BaseDataset):
    """One sample per referring expression (or per referred object) of RefCOCO / RefCOCO+ /
    RefCOCOg (refer layout).

    Samples follow the referring data contract (see
    :mod:`mmsegsup.datasets.transforms.referring`): ``expression`` is the annotator's ``raw``
    sentence, ``expr_id`` is ``str(sent_id)`` (unique in a refer release), ``ref_mask`` the
    referent's COCO segmentation; ``object_id`` is the COCO ``ann_id``; ``trivial`` is True
    when the referent is the only annotation of its category in the image (crowd regions count:
    they are more objects of the class).

    Args:
        dataset: 'refcoco', 'refcoco+' or 'refcocog'.
        split_by: 'unc' (refcoco, refcoco+), 'google' (refcoco, refcocog) or 'umd' (refcocog).
        split: 'train', 'val', 'testA', 'testB' (unc) or 'test' (see ``REFER_SPLITS``).
        img_prefix: folder of the COCO train2014 images, relative to ``data_root`` unless
            absolute (refer's ``images/mscoco/images/train2014`` by default).
        ann_file: refs file; default ``<dataset>/refs(<split_by>).json`` when present, else the
            ``.p`` pickle beside it.
        instances_file: default ``<dataset>/instances.json``.
        check_files: check at load time that every image exists (one stat per image).
        samples: ``'sentence'``, one sample per sentence (every sentence of a ref, as the
            original test.py evaluates in ``eval_mode``, test.py:36-41, 108-157; also our
            training variant), or ``'ref'``, one sample per referred object whose sentence is
            drawn at random each time it is read (the original training set,
            dataset_refer_bert.py:88, 123-127): an epoch then has one sample per object, so a
            per-epoch schedule is not stretched by the objects' sentence counts.
    """

    METAINFO = dict(classes=('background', 'object'), palette=[(0, 0, 0), (255, 255, 255)])

    def __init__(self, dataset: str = 'refcoco', split_by: str = 'unc', split: str = 'train',
                 img_prefix: str = REFER_IMG_PREFIX, ann_file: str = '',
                 instances_file: str = '', check_files: bool = False,
                 samples: str = 'sentence', **kwargs) -> None:
        check_refer_split(dataset, split_by, split)
        if samples not in SAMPLE_UNITS:
            raise ValueError(f'samples must be one of {SAMPLE_UNITS}, got {samples!r}')
        self.samples = samples
        if 'data_prefix' in kwargs:
            raise ValueError('RefCOCODataset takes the image folder as img_prefix, not '
                             'data_prefix')
        self.dataset, self.split_by, self.split = dataset, split_by, split
        self.instances_file = instances_file
        self.check_files = check_files
        super().__init__(ann_file=ann_file, data_prefix=dict(img_path=img_prefix), **kwargs)

    def _in_root(self, *parts: str) -> str:
        return osp.join(self.data_root or '', *parts)

    def refs_path(self) -> str:
        """The refs file read: ``ann_file``, else the JSON conversion, else the pickle."""
        if self.ann_file:
            return self.ann_file
        stem = self._in_root(self.dataset, f'refs({self.split_by})')
        if osp.isfile(stem + '.json'):
            return stem + '.json'
        if osp.isfile(stem + '.p'):
            return stem + '.p'
        raise FileNotFoundError(f'refs file {stem}.json or {stem}.p not found (refer layout: '
                                '<data_root>/<dataset>/refs(<split_by>).p)')

    def load_data_list(self) -> List[dict]:
        refs_file = self.refs_path()
        refs = load_refs(refs_file)
        inst_file = self.instances_file or self._in_root(self.dataset, 'instances.json')
        if self.instances_file and not osp.isabs(inst_file) and self.data_root:
            inst_file = osp.join(self.data_root, inst_file)
        instances = _load_instances(inst_file)
        anns = {ann['id']: ann for ann in instances['annotations']}
        images = {img['id']: img for img in instances['images']}
        per_class = Counter((a['image_id'], a['category_id']) for a in anns.values())
        seen_sents: Dict[int, Any] = {}
        checked: Dict[str, bool] = {}
        data_list = []
        for ref in refs:
            if not in_refer_split(str(ref['split']), self.split):
                continue
            ref_id = ref['ref_id']
            ann = anns.get(ref['ann_id'])
            if ann is None:
                raise DatasetFormatError(f'{refs_file}: ref_id {ref_id} refers to ann_id '
                                         f'{ref["ann_id"]}, which {inst_file} does not hold')
            img = images.get(ref['image_id'])
            if img is None:
                raise DatasetFormatError(f'{refs_file}: ref_id {ref_id} refers to image_id '
                                         f'{ref["image_id"]}, which {inst_file} does not hold')
            if ann['image_id'] != ref['image_id']:
                raise DatasetFormatError(
                    f'{refs_file}: ref_id {ref_id} has image_id {ref["image_id"]} but its '
                    f'ann_id {ann["id"]} lies in image {ann["image_id"]} in {inst_file}')
            img_path = osp.join(self.data_prefix['img_path'], img['file_name'])
            if self.check_files and img_path not in checked:
                if not osp.isfile(img_path):
                    raise FileNotFoundError(f'image {img_path} (image_id {img["id"]}, ref_id '
                                            f'{ref_id}) not found')
                checked[img_path] = True
            trivial = per_class[(ann['image_id'], ann['category_id'])] == 1
            first = len(data_list)
            for sent in ref['sentences']:
                sent_id = sent['sent_id']
                text = _sentence_text(sent)
                if not text:
                    raise DatasetFormatError(f'{refs_file}: ref_id {ref_id}, sent_id {sent_id}: '
                                             'empty sentence (no "raw" or "sent" text)')
                if sent_id in seen_sents:
                    raise DatasetFormatError(f'{refs_file}: sent_id {sent_id} appears in ref_id '
                                             f'{seen_sents[sent_id]} and ref_id {ref_id}')
                seen_sents[sent_id] = ref_id
                data_list.append(dict(
                    img_path=img_path, expression=text, expr_id=str(sent_id),
                    ref_mask=dict(type='coco', segmentation=ann['segmentation'],
                                  height=img['height'], width=img['width']),
                    video=None, frame_id=None, trivial=trivial, ref_id=ref_id,
                    object_id=ann['id'], category_id=ann['category_id'],
                    image_id=img['id'], split=ref['split'], seg_fields=[],
                    reduce_zero_label=False))
            if self.samples == 'ref' and len(data_list) > first:
                data_list[first:] = [fold_sentences(data_list[first:])]
        if not data_list:
            print_log(f'{refs_file}: no expression in split {self.split!r}', logger='current',
                      level=logging.WARNING)
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The sample ``idx``; with ``samples='ref'`` one of its ref's sentences drawn
        (:func:`~mmsegsup.datasets.sentence_draw.draw_sentence`)."""
        return draw_sentence(super().get_data_info(idx))
