"""Pseudo-labelling (BASIS, thesis 4.4): an annotation network labels an unlabeled split.

Any mmdet instance model (RSIS, W-RSIS, Mask R-CNN...) or mmseg segmentor (DeepLabV3+...)
runs over a dataset and its predictions are written in the standard formats, so any student
config reads them like real annotations:

* instance: ``<out>/pseudo_instances.json``, a COCO instances file (RLE masks, boxes from the
  masks, ``score`` kept per annotation) with the images and categories of the source;
* semantic: ``<out>/labels/<image stem>.png`` label maps (class index per pixel, palette PNG)
  and ``<out>/pseudo_list.txt`` naming them, as mmseg's ``ann_file`` takes it.

Every image is written atomically as soon as it is done (instance predictions as a small JSON
shard under ``<out>/shards/``), so an interrupted run resumes where it stopped without
redoing or losing finished images. Images are split over DDP ranks by index and merged in
index order by rank 0, one image per forward pass, so 1 and 2 processes write identical files.
"""
import json
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import barrier, get_dist_info
from mmengine.utils import ProgressBar

from ..formats.index_png import write_index_png
from ..utils.io import dump_json_atomic, write_text_atomic

TASKS = ('instance', 'semantic')
INSTANCE_FILE = 'pseudo_instances.json'
SEMANTIC_LIST = 'pseudo_list.txt'


def _file_name(info: dict, img_prefix: Optional[str]) -> str:
    """The image path as the source annotation names it (relative to the image prefix)."""
    path = info['img_path']
    return osp.relpath(path, img_prefix) if img_prefix else osp.basename(path)


def _instance_shard(sample, info: dict, file_name: str, cat_ids: Sequence[int],
                    score_thr: float) -> dict:
    """One image's pseudo-instances as COCO annotation fields (ids assigned at merge)."""
    pred = sample.pred_instances
    keep = pred.scores >= score_thr
    masks = pred.masks[keep].cpu().numpy().astype(np.uint8)
    labels = pred.labels[keep].cpu().tolist()
    scores = pred.scores[keep].cpu().tolist()
    anns = []
    for mask, label, score in zip(masks, labels, scores):
        if not mask.any():
            continue
        rle = mask_utils.encode(np.asfortranarray(mask))
        x, y, w, h = mask_utils.toBbox(rle).tolist()
        rle['counts'] = rle['counts'].decode('ascii')
        anns.append(dict(category_id=int(cat_ids[label]), segmentation=rle,
                         bbox=[x, y, w, h], area=float(mask.sum()), score=float(score),
                         iscrowd=0))
    h, w = sample.ori_shape[:2]
    return dict(image=dict(id=info.get('img_id'), file_name=file_name, height=int(h),
                           width=int(w)), annotations=anns)


def _semantic_map(sample) -> np.ndarray:
    seg = sample.pred_sem_seg.data
    return seg[0].cpu().numpy().astype(np.uint8)


def _shard_path(out_dir: str, index: int) -> str:
    return osp.join(out_dir, 'shards', f'{index:08d}.json')


def _label_path(out_dir: str, file_name: str) -> str:
    return osp.join(out_dir, 'labels', osp.splitext(file_name)[0] + '.png')


def pseudo_label(model: torch.nn.Module, dataset, out_dir: str, task: str = 'instance',
                 score_thr: float = 0.0, palette: Optional[Sequence] = None,
                 progress: bool = True) -> Optional[str]:
    """Label every image of ``dataset`` with ``model``; returns the merged file (on rank 0).

    Args:
        model: a built mmdet / mmseg model with weights, switched to eval here.
        dataset: the split to label, built with a test pipeline (no annotations needed);
            instance outputs keep its images and categories (``cat_ids`` of a COCO dataset).
        out_dir: output folder; finished images found there are not redone.
        task: 'instance' (COCO json) or 'semantic' (PNG label maps).
        score_thr: drop instances scored below it (instance task).
        palette: colours of the label PNGs (default: the dataset's metainfo palette).
    """
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    rank, world = get_dist_info()
    prefix = getattr(dataset, 'data_prefix', {})
    img_prefix = prefix.get('img', prefix.get('img_path'))  # mmdet / mmseg key
    names = [_file_name(dataset.get_data_info(i), img_prefix) for i in range(len(dataset))]
    mine = [i for i in range(len(dataset)) if i % world == rank]
    todo = [i for i in mine if not _done(out_dir, task, i, names[i])]
    bar = ProgressBar(len(todo)) if progress and rank == 0 and todo else None
    model.eval()
    cat_ids = getattr(dataset, 'cat_ids', None) or list(range(len(dataset.metainfo['classes'])))
    colours = palette or dataset.metainfo.get('palette') or [(c, c, c) for c in range(256)]
    for i in todo:
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[i]]))[0]
        if task == 'instance':
            dump_json_atomic(_instance_shard(sample, dataset.get_data_info(i), names[i],
                                             cat_ids, score_thr), _shard_path(out_dir, i))
        else:
            write_index_png(_semantic_map(sample), _label_path(out_dir, names[i]), colours)
        if bar is not None:
            bar.update()
    barrier()
    if rank != 0:
        return None
    if task == 'instance':
        return merge_instance_shards(out_dir, dataset, len(dataset))
    path = osp.join(out_dir, SEMANTIC_LIST)
    write_text_atomic(''.join(osp.splitext(n)[0] + '\n' for n in names), path)
    return path


def _done(out_dir: str, task: str, index: int, file_name: str) -> bool:
    """Whether image ``index`` was finished by an earlier (interrupted) run."""
    if task == 'instance':
        return osp.isfile(_shard_path(out_dir, index))
    return osp.isfile(_label_path(out_dir, file_name))


def _categories(dataset) -> List[dict]:
    """The source's categories: its COCO ids (mmdet keeps ``cat_ids``) and class names."""
    classes = dataset.metainfo['classes']
    ids = getattr(dataset, 'cat_ids', None) or list(range(len(classes)))
    return [dict(id=int(i), name=n) for i, n in zip(ids, classes)]


def merge_instance_shards(out_dir: str, dataset, num_images: int) -> str:
    """Merge the per-image shards in index order into one COCO file (atomic)."""
    images, annotations = [], []
    for i in range(num_images):
        path = _shard_path(out_dir, i)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: pseudo-labels of image {i} missing; rerun to '
                                    'finish the split')
        with open(path) as f:
            shard = json.load(f)
        image = dict(shard['image'])
        if image['id'] is None:
            image['id'] = i
        images.append(image)
        for ann in shard['annotations']:
            annotations.append(dict(ann, id=len(annotations) + 1, image_id=image['id']))
    out = osp.join(out_dir, INSTANCE_FILE)
    dump_json_atomic(dict(images=images, annotations=annotations,
                          categories=_categories(dataset)), out)
    return out
