"""Score an unlabeled pool with an annotation network that predicts its own masks' IoU.

Per image (thesis eq. 5.2) the *image score* is the mean predicted IoU of its masks. When the
pool has ground truth (the benchmark setting), the *oracle* score is computed the same way
from the true IoUs: predictions and objects are paired by the Hungarian algorithm on IoU
(only same-class pairs when both carry labels), an unpaired prediction has true IoU 0, and the
oracle is the mean over the predictions (1 for an image where nothing was predicted and
nothing exists, 0 when objects were missed entirely). The records also hold what the set
analysis of fig. 5.7 needs (objects per image, mean object size as a fraction of the image)
and, with ``mc_passes >= 2``, the MC-dropout pixel standard deviation.
"""
import json
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar
from scipy.optimize import linear_sum_assignment

from ..formats.errors import FormatError
from .mc_dropout import enable_mc_dropout, pixel_std

Record = Dict[str, object]


def _pairwise_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    p = pred.reshape(len(pred), -1).astype(np.float64)
    g = gt.reshape(len(gt), -1).astype(np.float64)
    inter = p @ g.T
    union = p.sum(1)[:, None] + g.sum(1)[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def true_ious(pred_masks: np.ndarray, gt_masks: np.ndarray,
              pred_labels: Optional[Sequence[int]] = None,
              gt_labels: Optional[Sequence[int]] = None) -> np.ndarray:
    """The true IoU of every predicted mask: its IoU with the object the Hungarian algorithm
    pairs it with (same class only when labels are given), 0 when it is left unpaired."""
    out = np.zeros(len(pred_masks))
    if not len(pred_masks) or not len(gt_masks):
        return out
    iou = _pairwise_iou(pred_masks, gt_masks)
    if pred_labels is not None and gt_labels is not None:
        same = np.asarray(pred_labels)[:, None] == np.asarray(gt_labels)[None]
        iou = np.where(same, iou, 0.0)
    rows, cols = linear_sum_assignment(-iou)
    out[rows] = iou[rows, cols]
    return out


def oracle_score(pred_masks: np.ndarray, gt_masks: np.ndarray,
                 pred_labels: Optional[Sequence[int]] = None,
                 gt_labels: Optional[Sequence[int]] = None) -> float:
    """Mean true IoU over the predictions (see the module docstring for empty cases)."""
    if not len(pred_masks):
        return 1.0 if not len(gt_masks) else 0.0
    return float(true_ious(pred_masks, gt_masks, pred_labels, gt_labels).mean())


class GroundTruth:
    """The pool's COCO annotations, read once, as binary masks per image id."""

    def __init__(self, ann_file: str) -> None:
        import contextlib
        import io

        from pycocotools.coco import COCO
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self.coco = COCO(ann_file)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise FormatError(f'{ann_file}: not a COCO instances file ({err})') from err
        self.ann_file = ann_file
        cat_ids = sorted(self.coco.getCatIds())
        self.label_of = {c: i for i, c in enumerate(cat_ids)}

    def objects(self, img_id: int):
        """``(masks (G, H, W) uint8, labels (G,))`` of one image, crowd regions left out."""
        if img_id not in self.coco.imgs:
            raise FormatError(f'{self.ann_file}: no image with id {img_id}')
        info = self.coco.imgs[img_id]
        anns = [a for a in self.coco.imgToAnns.get(img_id, []) if not a.get('iscrowd', 0)]
        if not anns:
            return (np.zeros((0, info['height'], info['width']), np.uint8),
                    np.zeros(0, np.int64))
        masks = np.stack([self.coco.annToMask(a) for a in anns])
        return masks, np.array([self.label_of[a['category_id']] for a in anns])


def _predict(model: torch.nn.Module, data: dict):
    with torch.no_grad():
        return model.test_step(pseudo_collate([data]))[0].pred_instances


def score_pool(model: torch.nn.Module, dataset, gt_file: Optional[str] = None,
               mc_passes: int = 0, seed: int = 0, progress: bool = True) -> List[Record]:
    """One record per image of ``dataset`` (built with a test pipeline): ``img_id``,
    ``file_name``, ``score`` (None when the model has no IoU branch), ``oracle`` (with
    ``gt_file``), ``num_pred``, ``num_objects``, ``mean_object_size`` and ``mc_std``."""
    if mc_passes == 1 or mc_passes < 0:
        raise ValueError(f'mc_passes must be 0 (off) or at least 2, got {mc_passes}')
    gt = GroundTruth(gt_file) if gt_file else None
    model.eval()
    records = []
    bar = ProgressBar(len(dataset)) if progress and len(dataset) else None
    for i in range(len(dataset)):
        data = dataset[i]
        info = dataset.get_data_info(i)
        pred = _predict(model, data)
        masks = pred.masks.cpu().numpy().astype(np.uint8)
        ious = pred.get('ious')
        rec: Record = dict(img_id=int(info['img_id']), file_name=info['img_path'],
                           num_pred=len(masks),
                           score=None if ious is None else
                           (float(ious.mean()) if len(ious) else 0.0),
                           oracle=None, mc_std=None)
        if gt is not None:
            gt_masks, gt_labels = gt.objects(rec['img_id'])
            if len(masks) and gt_masks.shape[-2:] != masks.shape[-2:]:
                raise FormatError(
                    f'{gt.ann_file}: image {rec["img_id"]} is {gt_masks.shape[-2:]} in the '
                    f'annotations but the prediction is {masks.shape[-2:]}')
            rec['oracle'] = oracle_score(masks, gt_masks, pred.labels.cpu().numpy(), gt_labels)
            objects = gt_masks
        else:
            objects = masks
        rec['num_objects'] = int(len(objects))
        rec['mean_object_size'] = (float(objects.reshape(len(objects), -1).sum(1).mean()) /
                                   float(objects.shape[-2] * objects.shape[-1])
                                   if len(objects) else 0.0)
        if mc_passes:
            rec['mc_std'] = _mc_std(model, data, mc_passes, seed * 100003 + i)
        records.append(rec)
        if bar is not None:
            bar.update()
    return records


def _mc_std(model: torch.nn.Module, data: dict, passes: int, seed: int) -> float:
    """MC-dropout uncertainty of one image: ``passes`` stochastic predictions, seeded."""
    enable_mc_dropout(model)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        masks = [_predict(model, data).masks for _ in range(passes)]
    finally:
        torch.random.set_rng_state(state)
        model.eval()
    return pixel_std(masks)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """scipy's Spearman rank correlation; NaN (without scipy's warning) when either side is
    constant or has fewer than two values."""
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float('nan')
    from scipy.stats import spearmanr
    return float(spearmanr(a, b)[0])


def iou_mae(records: Sequence[Record], field: str = 'score',
            prefix: str = 'iou') -> Dict[str, float]:
    """How well the predicted image scores in ``field`` match the oracle: their MAE
    (``<prefix>_mae``) and Spearman rank correlation (``<prefix>_spearman``), the MAE of
    predicting the pool's mean oracle score for every image (``mean_baseline_mae``, the
    constant baseline) and the number of images with both (``num_scored``)."""
    pairs = [(r[field], r['oracle']) for r in records
             if r.get(field) is not None and r.get('oracle') is not None]
    if not pairs:
        return {}
    score, oracle = np.array(pairs, dtype=np.float64).T
    return {f'{prefix}_mae': float(np.abs(score - oracle).mean()),
            f'{prefix}_spearman': _spearman(score, oracle),
            'mean_baseline_mae': float(np.abs(oracle.mean() - oracle).mean()),
            'num_scored': len(pairs)}


def load_records(path: str) -> List[Record]:
    """Records written by ``tools/al_score.py`` / the loop, with a clear error if malformed."""
    try:
        with open(path) as f:
            records = json.load(f)['records']
        for r in records:
            r['img_id']
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise FormatError(f'{path}: not a pool-scores file ({err})') from err
    return records
