"""RefCOCO, RefCOCO+ and RefCOCOg (refer layout) as a referring dataset.

The refer files (refs pickles / JSON, ``instances.json``), their layout and split rules are in
:mod:`mmsegsup.formats.refer`; import them from there.
"""
import logging
import os.path as osp
from collections import Counter
from typing import Any, Dict, List

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..formats.errors import DatasetFormatError, MissingFileError
from ..formats.refer import (REFER_IMG_PREFIX, check_refer_split, in_refer_split,
                             load_refer_instances, load_refs)
from .sentence_draw import draw_sentence, fold_sentences

SAMPLE_UNITS = ('sentence', 'ref')


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
        raise MissingFileError(f'refs file {stem}.json or {stem}.p not found (refer layout: '
                               '<data_root>/<dataset>/refs(<split_by>).p)')

    def load_data_list(self) -> List[dict]:
        refs_file = self.refs_path()
        refs = load_refs(refs_file)
        inst_file = self.instances_file or self._in_root(self.dataset, 'instances.json')
        if self.instances_file and not osp.isabs(inst_file) and self.data_root:
            inst_file = osp.join(self.data_root, inst_file)
        instances = load_refer_instances(inst_file)
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
                    raise MissingFileError(f'image {img_path} (image_id {img["id"]}, ref_id '
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
