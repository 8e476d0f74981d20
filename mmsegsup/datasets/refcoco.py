"""RefCOCO, RefCOCO+ and RefCOCOg (refer layout) as a referring dataset.

The refer files (refs pickles / JSON, ``instances.json``), their layout and split rules are in
:mod:`mmsegsup.formats.refer`; import them from there.
"""
import logging
import os.path as osp
from typing import Any, Dict, List, Set

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..formats.errors import MissingFileError
from ..formats.refer import (REFER_IMG_PREFIX, check_refer_split, in_refer_split,
                             index_refer_instances, load_refs, ref_sentences, ref_target)
from .sentence_draw import draw_sentence, fold_sentences

SAMPLE_UNITS = ('sentence', 'ref')


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

    def instances_path(self) -> str:
        """The referents' ``instances.json``: ``instances_file`` (relative to ``data_root``
        unless absolute), else ``<dataset>/instances.json``."""
        if not self.instances_file:
            return self._in_root(self.dataset, 'instances.json')
        if not osp.isabs(self.instances_file) and self.data_root:
            return osp.join(self.data_root, self.instances_file)
        return self.instances_file

    def load_data_list(self) -> List[dict]:
        refs_file = self.refs_path()
        refs = load_refs(refs_file)
        instances = index_refer_instances(self.instances_path())
        seen_sents: Dict[Any, Any] = {}
        checked: Set[str] = set()
        data_list = []
        for ref in refs:
            if in_refer_split(str(ref['split']), self.split):
                ann, img = ref_target(ref, refs_file, instances)
                img_path = self._image_path(img, ref['ref_id'], checked)
                samples = [self._sample(ref, ann, img, img_path, sent_id, text,
                                        instances.trivial(ann))
                           for sent_id, text in ref_sentences(ref, refs_file, seen_sents)]
                data_list += ([fold_sentences(samples)] if self.samples == 'ref' and samples
                              else samples)
        if not data_list:
            print_log(f'{refs_file}: no expression in split {self.split!r}', logger='current',
                      level=logging.WARNING)
        return data_list

    def _image_path(self, img: dict, ref_id: Any, checked: Set[str]) -> str:
        """The image file of ``img``; with ``check_files``, checked once to exist."""
        img_path = osp.join(self.data_prefix['img_path'], img['file_name'])
        if self.check_files and img_path not in checked:
            if not osp.isfile(img_path):
                raise MissingFileError(f'image {img_path} (image_id {img["id"]}, ref_id '
                                       f'{ref_id}) not found', img_path)
            checked.add(img_path)
        return img_path

    @staticmethod
    def _sample(ref: dict, ann: dict, img: dict, img_path: str, sent_id: Any, text: str,
                trivial: bool) -> dict:
        """The sample of one sentence (the referring data contract)."""
        return dict(img_path=img_path, expression=text, expr_id=str(sent_id),
                    ref_mask=dict(type='coco', segmentation=ann['segmentation'],
                                  height=img['height'], width=img['width']),
                    video=None, frame_id=None, trivial=trivial, ref_id=ref['ref_id'],
                    object_id=ann['id'], category_id=ann['category_id'], image_id=img['id'],
                    split=ref['split'], seg_fields=[], reduce_zero_label=False)

    def get_data_info(self, idx: int) -> dict:
        """The sample ``idx``; with ``samples='ref'`` one of its ref's sentences drawn
        (:func:`~mmsegsup.datasets.sentence_draw.draw_sentence`)."""
        return draw_sentence(super().get_data_info(idx))
