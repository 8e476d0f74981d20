"""Images to annotate and what annotators hand back, for the tests of the Label Studio / CVAT
exchange."""
import json
from typing import List, Mapping, Optional, Tuple

from mmengine.config import Config

from mmsegsup.formats.label_studio import coco_to_tasks
from tools_utils import shapes_config


def shapes_images(root, config: str, num_images: int) -> Tuple[Config, object, dict]:
    """``config`` (a shapes-instance one) with ``num_images`` synthetic training images
    generated under ``root``: the config, its training set and that set's COCO dict."""
    from mmengine.registry import DATASETS, DefaultScope
    cfg = shapes_config(root, config, train_images=num_images, val_images=1)
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    with open(dataset.ann_file) as f:
        return cfg, dataset, json.load(f)


def label_studio_export(asked: Mapping, truth: Mapping, rename: Optional[str] = None
                        ) -> List[dict]:
    """Label Studio's JSON export of the tasks of ``asked`` (a COCO dict of images) whose
    annotators submitted the masks of ``truth`` (COCO), the last region's class renamed to
    ``rename`` (a class the dataset does not have, to make it bad)."""
    tasks = coco_to_tasks(asked, str, [dict(a, score=1.0) for a in truth['annotations']])
    for k, task in enumerate(tasks):
        result = task.pop('predictions')[0]['result']
        task.update(id=k + 1, annotations=[dict(id=k + 1, result=result)])
    if rename:
        region = [r for t in tasks for r in t['annotations'][0]['result']][-1]
        region['value']['brushlabels'] = [rename]
    return tasks
