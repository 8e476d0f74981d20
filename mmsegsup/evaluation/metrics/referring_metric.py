"""Referring segmentation metric (overall / mean IoU, precision@K) for mmseg test loops."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmsegsup.registry import SEG_METRICS as METRICS

from ..functional.referring_metrics import (PRECISION_THRESHOLDS, intersection_and_union,
                                            per_expression_rows, referring_scores,
                                            write_referring_results_csv)

_SUBSETS = (('trivial', True), ('non-trivial', False))


def _as_dict(sample: object) -> dict:
    return sample.to_dict() if hasattr(sample, 'to_dict') else sample


def _mask(sample: dict, key: str, what: str) -> np.ndarray:
    """``(H, W)`` label map of ``sample[key]['data']`` (``(1, H, W)`` or ``(H, W)``)."""
    field = sample.get(key)
    if field is None or 'data' not in field:
        raise ValueError(f'sample {sample.get("expr_id")!r} has no {key} ({what}); '
                         f'ReferringMetric needs it')
    data = field['data']
    data = data.detach().cpu().numpy() if hasattr(data, 'detach') else np.asarray(data)
    if data.ndim == 3 and data.shape[0] == 1:
        data = data[0]
    if data.ndim != 2:
        raise ValueError(f'sample {sample.get("expr_id")!r}: {key} must be (1, H, W) or (H, W), '
                         f'got {data.shape}')
    return data


def _trivial(value: object, expr_id: object) -> Optional[bool]:
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise ValueError(f'sample {expr_id!r}: metainfo trivial must be True, False or None, '
                     f'got {value!r}')


@METRICS.register_module()
class ReferringMetric(BaseMetric):
    """Overall IoU, mean IoU and precision@K of referring segmentation, in percent.

    One sample is one (expression, frame) prediction: ``pred_sem_seg`` and ``gt_sem_seg`` at
    the original image size (as mmseg's ``IoUMetric``; so ``LoadReferringMask`` goes after
    ``Resize`` in test pipelines), label 1 = referent. Definitions, the ``>=`` of precision@K
    and the empty-union rule are those of :mod:`..functional.referring_metrics`. Values are
    percentages (mmseg's ``IoUMetric`` convention and the papers' tables), unrounded:
    ``overall_iou``, ``mean_iou``, ``prec@0.5`` ... ``prec@0.9``, and the same keys under
    ``trivial/`` and ``non-trivial/`` for samples whose metainfo ``trivial`` is known.

    Only small numbers are kept per sample (``expr_id``, ``video``, ``frame_id``, ``trivial``,
    intersection, union), so distributed collection is cheap.

    Args:
        thresholds: the precision@K thresholds.
        ignore_index: ground-truth label excluded from intersection and union.
        csv_file: if given, write the per-expression CSV there (columns
            :data:`REFERRING_CSV_COLUMNS`; read it with ``load_referring_results_csv``).
        empty_union_iou: IoU of a sample whose prediction and ground truth are both empty:
            0.0 (default: the original RefVOS ``test.py``, as LAVT's and CRIS's test code;
            still a sample) or 1.0 (the DAVIS toolkit's J of an empty frame; our variant).
    """

    default_prefix: Optional[str] = None

    def __init__(self, thresholds: Sequence[float] = PRECISION_THRESHOLDS,
                 ignore_index: Optional[int] = 255, csv_file: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 empty_union_iou: float = 0.0) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.empty_union_iou = float(empty_union_iou)
        self.thresholds = tuple(float(k) for k in thresholds)
        if not self.thresholds or any(not 0 <= k <= 1 for k in self.thresholds):
            raise ValueError(f'thresholds must be a non-empty list in [0, 1], got {thresholds}')
        self.ignore_index = ignore_index
        self.csv_file = csv_file

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in map(_as_dict, data_samples):
            if 'expr_id' not in sample:
                raise ValueError("a data sample has no metainfo 'expr_id': add it to "
                                 "PackSegInputs(meta_keys=...) of the test pipeline")
            pred = _mask(sample, 'pred_sem_seg', 'the prediction')
            gt = _mask(sample, 'gt_sem_seg', 'the ground truth')
            if pred.shape != gt.shape:
                raise ValueError(
                    f'sample {sample["expr_id"]!r}: prediction {pred.shape} and ground truth '
                    f'{gt.shape} differ; the ground truth must stay at the original size '
                    f'(load it after Resize in the test pipeline)')
            ignore = None if self.ignore_index is None else gt == self.ignore_index
            inter, union = intersection_and_union(pred == 1, gt == 1, ignore)
            frame = sample.get('frame_id')
            self.results.append({
                'expr_id': str(sample['expr_id']), 'video': sample.get('video'),
                'frame_id': None if frame is None else int(frame),
                'trivial': _trivial(sample.get('trivial'), sample['expr_id']),
                'intersection': inter, 'union': union})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        seen = set()
        for r in results:
            key = (r['expr_id'], r['frame_id'])
            if key in seen:
                raise ValueError(f'expression {r["expr_id"]!r} frame {r["frame_id"]} was '
                                 f'evaluated twice; expr_id must be unique per frame')
            seen.add(key)
        metrics = self._scores(results, '')
        for name, flag in _SUBSETS:
            subset = [r for r in results if r['trivial'] is flag]
            if subset:
                metrics.update(self._scores(subset, name + '/'))
        if self.csv_file is not None:
            write_referring_results_csv(per_expression_rows(results, self.empty_union_iou),
                                        self.csv_file)
            print_log(f'per-expression results written to {self.csv_file}', logger='current')
        return metrics

    def _scores(self, results: List[dict], prefix: str) -> Dict[str, float]:
        scores = referring_scores([r['intersection'] for r in results],
                                  [r['union'] for r in results], self.thresholds,
                                  empty_union_iou=self.empty_union_iou)
        return {prefix + k: 100.0 * v for k, v in scores.items()}
