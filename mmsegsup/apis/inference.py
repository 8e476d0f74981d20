"""Thin Python API: build a model from a config and a checkpoint, run it on images."""
import copy
from typing import Optional, Sequence, Union

import numpy as np
from mmcv.transforms import Compose
from mmdet.apis import inference_detector, init_detector
from mmengine.registry import DefaultScope
from mmdet.structures import DetDataSample
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config

import mmsegsup  # noqa: F401  (registration, safe checkpoint loading)

ImageType = Union[str, np.ndarray]


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build an mmsegsup (or any mmdet) model in eval mode, weights loaded when given.

    Built inside a temporary scope: mmdet's ``init_detector`` would otherwise make it
    the default scope of the whole process (see ``init_referring_model`` for mmseg's twin).
    """
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        return init_detector(config, checkpoint, device=device, cfg_options=cfg_options)


def inference_image(model, images: Union[ImageType, Sequence[ImageType]]
                    ) -> Union[DetDataSample, list]:
    """Predict instances for one image (path or BGR array) or a list of them.

    The test pipeline is copied per call: mmdet's ``inference_detector`` edits the model's
    config in place for arrays, which would break the next call with a file path.
    """
    first = images[0] if isinstance(images, (list, tuple)) else images
    pipeline = copy.deepcopy(get_test_pipeline_cfg(model.cfg))
    if isinstance(first, np.ndarray):
        pipeline[0] = dict(pipeline[0], type='mmdet.LoadImageFromNDArray')
    with DefaultScope.overwrite_default_scope(model.cfg.get('default_scope', 'mmsegsup')):
        return inference_detector(model, images, test_pipeline=Compose(pipeline))
