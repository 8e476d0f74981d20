"""Cross-fitted IoU prediction (beyond the thesis): an IoU branch that learns on masks the
segmentation did not fit.

The thesis trains the IoU branch of IoU-W-RSIS on the labeled images after the segmentation
has been trained on them (freeze-then-train). At small budgets the segmentation fits those
images almost perfectly, so the branch only ever sees near-perfect masks and predicts a high
IoU for every pool image (benchmarks/README.md: MAE 0.51 on the pool vs 0.21 for predicting
the mean at N0 = 20). Cross-fitting gives the branch the masks it will be asked about: the
labeled set is cut into K folds; for each fold a model segments with the other folds only
(the annotator's segmentation schedule) and its IoU branch then trains, with the segmentation
frozen, on the held-out fold, whose masks that model never fitted. Each fold model scores the
pool with its own masks and branch; an image's *cross-fitted score* is the mean over the K
fold models. The annotator trained on all labeled images is unchanged (it is the one whose
AP is reported and whose masks the oracle scores).

This module holds the pure parts (folds, the two training configs of a fold model, the
combination); :class:`~mmsegsup.active_learning.loop.ActiveLearningRun` runs the stages.
"""
import copy
from typing import Dict, List, Sequence, Tuple

import numpy as np
from mmengine.config import Config

FREEZE_HOOK = 'FreezeSegmentationHook'
DEFAULTS = dict(folds=2, segmentation_iters=None, branch_iters=None,
                branch_options={'param_scheduler': []})


def settings(crossfit: dict, owner: str) -> dict:
    """The ``active_learning.crossfit`` dict with defaults and checks (``owner`` names the
    loop config in errors)."""
    if not isinstance(crossfit, dict):
        raise ValueError(f'{owner}: active_learning.crossfit must be a dict, got {crossfit!r}')
    unknown = set(crossfit) - set(DEFAULTS)
    if unknown:
        raise ValueError(f'{owner}: unknown active_learning.crossfit keys {sorted(unknown)}; '
                         f'known: {sorted(DEFAULTS)}')
    out = dict(copy.deepcopy(DEFAULTS), **crossfit)
    folds = out['folds']
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f'{owner}: active_learning.crossfit.folds must be an integer >= 2, '
                         f'got {folds!r}')
    for key in ('segmentation_iters', 'branch_iters'):
        value = out[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ValueError(f'{owner}: active_learning.crossfit.{key} must be a positive '
                             f'integer or None, got {value!r}')
    return out


def fold_split(image_ids: Sequence[int], folds: int, seed: int) -> List[List[int]]:
    """``folds`` disjoint, near-equal folds of ``image_ids`` (a seeded permutation), each
    sorted; every image is in exactly one fold."""
    ids = sorted(int(i) for i in image_ids)
    if len(ids) < folds:
        raise ValueError(f'cross-fitting needs at least one labeled image per fold: '
                         f'{len(ids)} images for {folds} folds')
    order = np.random.default_rng(seed).permutation(len(ids))
    return [sorted(ids[i] for i in order[k::folds]) for k in range(folds)]


def _freeze_hook(cfg: Config) -> Tuple[int, dict]:
    hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') == FREEZE_HOOK]
    if len(hooks) != 1 or hooks[0].get('freeze_iter') is None:
        return -1, {}
    return int(hooks[0]['freeze_iter']), dict(hooks[0])


def schedule(cfg: Config, crossfit: dict) -> Tuple[int, int]:
    """``(segmentation_iters, branch_iters)`` of a fold model: as given, else the annotator's
    own freeze-then-train split (its ``FreezeSegmentationHook.freeze_iter`` and the rest of
    ``train_cfg.max_iters``)."""
    freeze_iter, _ = _freeze_hook(cfg)
    max_iters = cfg.train_cfg.get('max_iters')
    seg, branch = crossfit['segmentation_iters'], crossfit['branch_iters']
    if seg is None or branch is None:
        if freeze_iter < 0 or max_iters is None or not 0 < freeze_iter < max_iters:
            raise ValueError(
                'cross-fitting takes its schedule from the annotator\'s FreezeSegmentationHook '
                '(freeze_iter) and train_cfg.max_iters; this annotator has none: set '
                'active_learning.crossfit.segmentation_iters and branch_iters')
        seg = freeze_iter if seg is None else seg
        branch = max_iters - freeze_iter if branch is None else branch
    return seg, branch


def _without_validation(cfg: Config) -> None:
    cfg.val_dataloader = None
    cfg.val_cfg = None
    cfg.val_evaluator = None


def segmentation_config(cfg: Config, iters: int) -> Config:
    """A fold model's first training: the annotator without its freeze stage (segmentation
    only, ``iters`` iterations, no validation)."""
    out = copy.deepcopy(cfg)
    out.custom_hooks = [h for h in out.get('custom_hooks', []) if h.get('type') != FREEZE_HOOK]
    out.train_cfg.max_iters = iters
    out.train_cfg.pop('val_interval', None)
    _without_validation(out)
    return out


def branch_config(cfg: Config, checkpoint: str, iters: int, options: dict) -> Config:
    """A fold model's second training: from ``checkpoint``, everything frozen but the IoU
    branch from the first iteration, ``iters`` iterations (``options`` merged last; by
    default no LR schedule, i.e. the optimizer's base LR).

    The weights come in through the model's ``init_cfg`` (``Pretrained``, applied after every
    submodule's own initialisation), not ``load_from``: the stage driver trains with
    ``--resume``, which resumes an interrupted stage from its own work folder and would drop
    ``load_from``."""
    out = copy.deepcopy(cfg)
    _, hook = _freeze_hook(cfg)
    hook = dict(hook or dict(type=FREEZE_HOOK), freeze_iter=0)
    hook.pop('freeze_epoch', None)
    out.custom_hooks = [h for h in out.get('custom_hooks', [])
                        if h.get('type') != FREEZE_HOOK] + [hook]
    out.train_cfg.max_iters = iters
    out.train_cfg.pop('val_interval', None)
    _without_validation(out)
    out.model.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
    out.load_from = None
    out.merge_from_dict(copy.deepcopy(options))
    return out


def combine(records: List[Dict], fold_records: Sequence[List[Dict]],
            field: str = 'crossfit') -> List[Dict]:
    """``records`` with ``field`` set to the mean of the fold models' ``score`` per image
    (every fold model must have scored every image)."""
    per_image: Dict[int, List[float]] = {}
    for k, fold in enumerate(fold_records):
        for r in fold:
            if r.get('score') is None:
                raise ValueError(f'fold model {k} gave no IoU score for image {r["img_id"]}: '
                                 'does the annotator have an IoU branch?')
            per_image.setdefault(int(r['img_id']), []).append(float(r['score']))
    out = []
    for r in records:
        scores = per_image.get(int(r['img_id']), [])
        if len(scores) != len(fold_records):
            raise ValueError(f'image {r["img_id"]}: scored by {len(scores)} of the '
                             f'{len(fold_records)} fold models')
        out.append(dict(r, **{field: float(np.mean(scores))}))
    return out
