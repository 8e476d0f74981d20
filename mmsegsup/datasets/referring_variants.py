"""A referring dataset with its expressions replaced by variants (thesis 6.5.2, table 6.7;
A2Dre+, table 6.6), so the stock ``tools/test.py`` evaluates a model on them.

The wrapped dataset gives the frames and masks; the variants file
(:mod:`mmsegsup.formats.re_variants`, made by :mod:`mmsegsup.analysis.variants`) gives, per
expression and level, the text to feed. Each (level, sample) becomes one sample with ``expression`` = the variant text, ``expr_id`` =
``"<expr_id>#<level>"``, ``level`` and ``orig_expr_id``; ``ReferringMetric(csv_file=...)``
then writes one row per (expression, level), which
:func:`mmsegsup.analysis.study.split_levels` splits by level::

    test_dataloader = dict(dataset=dict(
        type='ReferringVariantsDataset', variants_file='work_dirs/a2d_variants.json',
        dataset=dict(type='A2DSentencesDataset', data_root=..., split='test',
                     pipeline=test_pipeline)))

The wrapped dataset's pipeline is used unless ``pipeline`` is given here. Expressions of the
dataset without variants are left out (A2Dre+ covers a subset), unless ``strict``; variants
of expressions the dataset lacks are an error (a file made for another split).
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmsegsup.registry import SEG_DATASETS as DATASETS

from ..formats.errors import FormatError, MissingFileError
from ..formats.json_files import some_ids
from ..formats.re_variants import read_variants
from ..formats.referring_shapes import shapes_class_labels


@DATASETS.register_module()
class ReferringVariantsDataset(BaseDataset):
    """Samples of ``dataset`` once per variant level, with the variant texts.

    Args:
        dataset: the referring dataset (a config dict, built in mmseg's ``DATASETS``, or a
            dataset object).
        variants_file: a variants JSON (``tools/analyze_referring.py make-variants``).
        levels: the levels to keep, in this order (default: all of the file's).
        strict: require variants for every expression of the dataset.
        pipeline: the transforms; ``None`` takes the wrapped dataset config's pipeline.
        **kwargs: other ``BaseDataset`` arguments (``test_mode``, ``lazy_init``, ...).
    """

    METAINFO: dict = {}

    def __init__(self, dataset: Union[dict, BaseDataset], variants_file: str,
                 levels: Optional[Sequence[str]] = None, strict: bool = False,
                 pipeline: Optional[list] = None, **kwargs) -> None:
        if isinstance(dataset, dict):
            cfg = copy.deepcopy(dataset)
            inner_pipeline = cfg.pop('pipeline', [])
            self.dataset = DATASETS.build(dict(cfg, pipeline=[], lazy_init=True))
        else:
            self.dataset, inner_pipeline = dataset, []
        if pipeline is None:
            pipeline = inner_pipeline
        self.variants_file = variants_file
        self.levels = None if levels is None else [str(lv) for lv in levels]
        self.strict = strict
        kwargs.setdefault('metainfo', copy.deepcopy(self.dataset.metainfo))
        kwargs.setdefault('test_mode', bool(getattr(self.dataset, 'test_mode', False)))
        super().__init__(pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.variants_file):
            raise MissingFileError(f'variants file {self.variants_file} not found (make one '
                                   f'with tools/analyze_referring.py make-variants)')
        variants = read_variants(self.variants_file)
        levels = list(variants.levels) if self.levels is None else self.levels
        unknown = [lv for lv in levels if lv not in variants.levels]
        if unknown:
            raise ValueError(f'{self.variants_file} has no level(s) {", ".join(unknown)} '
                             f'(levels: {", ".join(variants.levels)})')
        self.dataset.full_init()
        infos = [self.dataset.get_data_info(i) for i in range(len(self.dataset))]
        ids = {str(info.get('expr_id')) for info in infos}
        extra = [e for e in variants.expressions if e not in ids]
        if extra:
            raise FormatError(
                f'{self.variants_file}: {len(extra)} expression(s) are not in the wrapped '
                f'{type(self.dataset).__name__} ({some_ids(extra)}); the variants must be made '
                f'from the same dataset split')
        bare = sorted(ids - set(variants.expressions))
        if bare and self.strict:
            raise FormatError(f'{self.variants_file}: no variants for {len(bare)} '
                              f'expression(s) of the dataset ({some_ids(bare)})')
        if bare:
            print_log(f'{len(bare)} of {len(ids)} expressions have no variants in '
                      f'{self.variants_file} and are left out', logger='current')
        samples = []
        for level in levels:
            for info in infos:
                expr_id = str(info.get('expr_id'))
                entry = variants.expressions.get(expr_id)
                text = None if entry is None else entry.text(level, info.get('frame_id'))
                if text is None:
                    continue  # no variants, or not applicable at this level
                sample = {k: v for k, v in info.items() if k != 'sample_idx'}
                sample.update(expression=text, expr_id=f'{expr_id}#{level}', level=level,
                              orig_expr_id=expr_id)
                samples.append(sample)
        return samples


def variant_labels(dataset: BaseDataset) -> Optional[Dict[str, Dict[str, str]]]:
    """Labels for :func:`~mmsegsup.analysis.variants.make_variants` when the samples lack an
    ``actor`` field: the class of the synthetic referring shapes (from their annotation
    file); ``None`` when the samples carry the labels themselves (A2D-Sentences)."""
    dataset.full_init()
    if len(dataset) and dataset.get_data_info(0).get('actor') is not None:
        return None
    from .synthetic.datasets import ReferringShapesBase
    if isinstance(dataset, ReferringShapesBase):
        return shapes_class_labels(dataset.ann_file)
    raise ValueError(f'{type(dataset).__name__} samples have no "actor" field and no class '
                     f'labels are known for it; pass the label field names (--actor-key, '
                     f'--action-key) of its data infos')
