"""Thin Python API: build a model from a config and a checkpoint, run it on images."""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.apis import inference_detector, init_detector
from mmengine.registry import DefaultScope
from mmdet.structures import DetDataSample
from mmdet.utils import get_test_pipeline_cfg
from mmengine.config import Config

import mmsegsup  # noqa: F401  (registration, safe checkpoint loading)
from .onnx_backend import check_backend
from .onnx_export import RSIS_IMAGE

ImageType = Union[str, np.ndarray]


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build an mmsegsup (or any mmdet) model in eval mode, weights loaded when given.

    Built inside a temporary scope: mmdet's ``init_detector`` would otherwise make it
    the default scope of the whole process (see ``init_referring_model`` for mmseg's twin).
    """
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        return init_detector(config, checkpoint, device=device, cfg_options=cfg_options)


def _pipeline(model, first: ImageType) -> Compose:
    """The model's test pipeline, copied: mmdet's ``inference_detector`` edits the model's
    config in place for arrays, which would break the next call with a file path."""
    pipeline = copy.deepcopy(get_test_pipeline_cfg(model.cfg))
    if isinstance(first, np.ndarray):
        pipeline[0] = dict(pipeline[0], type='mmdet.LoadImageFromNDArray')
    with _scope(model):
        return Compose(pipeline)


def _scope(model):
    """The model's registry scope, for building and running its pipeline."""
    return DefaultScope.overwrite_default_scope(model.cfg.get('default_scope', 'mmsegsup'))


def preprocess_image(model, image: ImageType, pipeline: Optional[Compose] = None) -> dict:
    """``inputs`` (1, 3, H, W) and ``data_samples`` of one image as the model's test step
    sees them (e.g. the size a fixed-size RSIS export must trace)."""
    pipeline = pipeline or _pipeline(model, image)
    with _scope(model):
        data = pipeline(dict(img=image, img_id=0) if isinstance(image, np.ndarray)
                        else dict(img_path=image, img_id=0))
    return model.data_preprocessor(dict(inputs=[data['inputs']],
                                        data_samples=[data['data_samples']]), False)


def _predict_on_backend(model, backend, image: ImageType, pipeline: Compose) -> DetDataSample:
    """One image through an RSIS image graph: its step probabilities, then the head's rules
    (:meth:`RSISHead.predict_by_probs`) in torch."""
    data = preprocess_image(model, image, pipeline)
    probs = backend.step_probs(data['inputs'])  # with bbox_pred / iou_pred where exported
    metas = [s.metainfo for s in data['data_samples']]
    instances = model.bbox_head.predict_by_probs(probs, probs, metas, rescale=True)
    return model.add_pred_to_datasample(data['data_samples'], instances)[0]


def inference_image(model, images: Union[ImageType, Sequence[ImageType]], backend=None
                    ) -> Union[DetDataSample, List[DetDataSample]]:
    """Predict instances for one image (path or BGR array) or a list of them; ``backend``:
    an ``ORTImageModel`` of ``model``'s export runs the network, ``model`` preprocesses and
    applies the inference rule."""
    check_backend(backend, RSIS_IMAGE, 'inference_image')
    is_list = isinstance(images, (list, tuple))
    pipeline = _pipeline(model, images[0] if is_list else images)
    if backend is None:
        with _scope(model):
            return inference_detector(model, images, test_pipeline=pipeline)
    with torch.no_grad():
        results = [_predict_on_backend(model, backend, image, pipeline)
                   for image in (images if is_list else [images])]
    return results if is_list else results[0]
