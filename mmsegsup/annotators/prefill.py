"""The annotation network's masks as pre-annotations, and what they save.

:func:`predict_instances` runs any instance model of ours (RSIS / W-RSIS / IoU-W-RSIS, built
with :func:`mmsegsup.apis.inference.init_model`) on the images of a COCO dict and returns COCO
results: one RLE mask per instance, its class, and as ``score`` the predicted IoU where the
model has an IoU branch (what annotators should check first: the worst masks), else the
class / stop probability. :func:`price_prefill` prices them against the final labels with
:mod:`mmsegsup.budget.prefill_cost`.
"""
import contextlib
import copy
import os.path as osp
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..budget.prefill_cost import ImageMatch, price_images
from ..formats.coco_json import masks_to_rles
from ..formats.errors import FormatError, MissingFileError
from ..formats.tool_labels import segmentation_rle

#: Test-pipeline steps that read annotations: images to annotate have none.
ANNOTATION_LOADERS = ('LoadAnnotations', 'CheckImageAnnotations', 'mmseg.LoadAnnotations',
                      'mmdet.LoadAnnotations')


def without_annotations(pipeline: Sequence[dict]) -> List[dict]:
    """A copy of a test pipeline that needs no annotation (the images are to be labeled)."""
    return [copy.deepcopy(t) for t in pipeline if t['type'] not in ANNOTATION_LOADERS]


@contextlib.contextmanager
def _annotation_free(model, weak_file: Optional[str]) -> Iterator[None]:
    """``model.cfg``'s test pipeline without annotation loaders (and W-RSIS's weak labels read
    from ``weak_file``) for the duration: ``inference_image`` builds its pipeline from it."""
    from mmdet.utils import get_test_pipeline_cfg
    original = model.cfg
    cfg = copy.deepcopy(original)
    steps = get_test_pipeline_cfg(cfg)
    steps[:] = without_annotations(steps)
    for step in steps:
        if step['type'] == 'LoadWeakLabels' and weak_file is not None:
            step.pop('ann_file', None)
            step['weak_file'] = weak_file
    model.cfg = cfg
    try:
        yield
    finally:
        model.cfg = original


def category_ids(classes: Sequence[str], coco: Mapping) -> List[int]:
    """The COCO category id of each model class (by name), or a FormatError naming both."""
    by_name = {c['name']: c['id'] for c in coco['categories']}
    missing = [c for c in classes if c not in by_name]
    if missing:
        raise FormatError(f'the model predicts classes {missing} that are not categories of '
                          f'the images to annotate ({sorted(by_name)})')
    return [by_name[c] for c in classes]


def _results(img: Mapping, pred, cat_ids: Sequence[int], score_thr: float) -> List[dict]:
    """The COCO results of one image's ``pred_instances`` (empty masks left out)."""
    import pycocotools.mask as mask_util
    masks = pred.masks.detach().cpu().numpy().astype(np.uint8)
    if len(masks) and masks.shape[-2:] != (img['height'], img['width']):
        raise FormatError(f'image {img["id"]} ({img["file_name"]}) is {img["height"]}x'
                          f'{img["width"]} in the COCO file but the prediction is '
                          f'{masks.shape[-2]}x{masks.shape[-1]}')
    scores = pred.ious if 'ious' in pred else pred.scores
    scores = scores.detach().cpu().numpy().astype(float)
    labels = pred.labels.detach().cpu().numpy()
    out = []
    for rle, label, score, mask in zip(masks_to_rles(masks), labels, scores, masks):
        if score < score_thr or not mask.any():  # an empty mask shows annotators nothing
            continue
        out.append(dict(image_id=img['id'], category_id=cat_ids[int(label)], segmentation=rle,
                        score=float(score), bbox=mask_util.toBbox(rle).tolist(),
                        area=float(mask_util.area(rle))))
    return out


def predict_instances(model, coco: Mapping, image_root: str, weak_file: Optional[str] = None,
                      score_thr: float = 0.0) -> List[dict]:
    """COCO results of ``model`` on ``coco['images']`` (files under ``image_root``); a W-RSIS
    reads the images' weak labels from ``weak_file`` (else from its config)."""
    import torch

    from ..apis.inference import inference_image
    cat_ids = category_ids(model.dataset_meta['classes'], coco)
    out: List[dict] = []
    with _annotation_free(model, weak_file), torch.no_grad():
        for img in coco['images']:
            path = osp.join(image_root, img['file_name'])
            if not osp.isfile(path):
                raise MissingFileError(f'image {img["id"]} ({img["file_name"]}): {path} not '
                                       'found', path)
            pred = inference_image(model, path).pred_instances
            out.extend(_results(img, pred, cat_ids, score_thr))
    return out


# ---- what the pre-fill saved ----------------------------------------------------------------

def match_image(predictions: Sequence[Mapping], labels: Sequence[Mapping], img: Mapping,
                iou_thr: float) -> ImageMatch:
    """Pair one image's predictions with its final labels (Hungarian on IoU, same class
    only); a pair counts as matched at IoU >= ``iou_thr``."""
    import pycocotools.mask as mask_util
    from scipy.optimize import linear_sum_assignment
    labels = [a for a in labels if not a.get('iscrowd', 0)]
    matched = 0
    if predictions and labels:
        rles = [[segmentation_rle(a['segmentation'], img['height'], img['width'])
                 for a in anns] for anns in (predictions, labels)]
        iou = np.asarray(mask_util.iou(*rles, [0] * len(labels)), dtype=float).reshape(
            len(predictions), len(labels))
        same = (np.array([p['category_id'] for p in predictions])[:, None]
                == np.array([a['category_id'] for a in labels])[None])
        iou = np.where(same, iou, 0.0)
        rows, cols = linear_sum_assignment(-iou)
        matched = int((iou[rows, cols] >= iou_thr).sum())
    return ImageMatch(present_classes=len({a['category_id'] for a in labels}),
                      objects=len(labels), matched=matched,
                      false_positives=len(predictions) - matched)


def price_prefill(predictions: Sequence[Mapping], labels: Mapping, iou_thr: float = 0.5
                  ) -> Tuple[float, float]:
    """``(from scratch, pre-filled)`` seconds to annotate ``labels['images']`` (their final
    COCO annotations) given the pre-filled ``predictions`` (COCO results)."""
    def by_image(items: Sequence[Mapping]) -> Dict[object, List[Mapping]]:
        out: Dict[object, List[Mapping]] = {im['id']: [] for im in labels['images']}
        for item in items:
            out.get(item['image_id'], []).append(item)
        return out

    preds, anns = by_image(predictions), by_image(labels['annotations'])
    matches = [match_image(preds[im['id']], anns[im['id']], im, iou_thr)
               for im in labels['images']]
    return price_images(matches, len(labels['categories']))


def predict_files(config: str, checkpoint: str, coco: Mapping, image_root: str,
                  weak_file: Optional[str] = None, score_thr: float = 0.0,
                  device: str = 'cpu') -> List[dict]:
    """:func:`predict_instances` of the model a config and checkpoint make; building it draws
    initial weights, so the global RNG is restored afterwards (a seeded run stays seeded)."""
    import torch

    from ..apis.inference import init_model
    with torch.random.fork_rng(devices=[]):
        model = init_model(config, checkpoint, device=device)
    return predict_instances(model, coco, image_root, weak_file, score_thr)
