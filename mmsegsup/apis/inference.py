"""Thin Python API: build a model from a config and a checkpoint, run it on images."""
from typing import Optional, Sequence, Union

import numpy as np
from mmdet.apis import inference_detector, init_detector
from mmdet.structures import DetDataSample
from mmengine.config import Config

import mmsegsup  # noqa: F401  (registration, safe checkpoint loading)

ImageType = Union[str, np.ndarray]


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build an mmsegsup (or any mmdet) model in eval mode, weights loaded when given."""
    return init_detector(config, checkpoint, device=device, cfg_options=cfg_options)


def inference_image(model, images: Union[ImageType, Sequence[ImageType]]
                    ) -> Union[DetDataSample, list]:
    """Predict instances for one image (path or BGR array) or a list of them."""
    return inference_detector(model, images)
