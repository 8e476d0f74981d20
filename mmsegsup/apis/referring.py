"""Segment what a sentence describes in an image or in the frames of a video (RefVOS).

    model = init_referring_model('configs/refvos/....py', 'refvos.pth', device='cpu')
    samples = inference_referring(model, ['f0.jpg', 'f1.jpg'], 'the dog on the left')
    masks = [s.pred_sem_seg.data[0].numpy() for s in samples]  # 1 = referent

The sentence is encoded once and shared by all frames; frames go through the model's
``cfg.test_pipeline`` (ground-truth loading steps dropped, like mmseg's ``inference_model``)
a few at a time, so long videos need constant memory. ``backend=ORTReferringModel('refvos.onnx')``
(:mod:`mmsegsup.apis.onnx_backend`) runs the network of its export on onnxruntime: the model
then only tokenises and preprocesses.
"""
import copy
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.structures import SegDataSample
from torch import Tensor

from .onnx_backend import check_backend
from .onnx_export import REFVOS_IMAGE

ImageType = Union[str, np.ndarray]
GT_LOADERS = ('LoadAnnotations', 'LoadReferringMask')


def init_referring_model(config: Union[str, Config], checkpoint: Optional[str] = None,
                         device: str = 'cpu', cfg_options: Optional[dict] = None):
    """Build a RefVOS (or any mmseg) model in eval mode with mmseg's ``init_model``.

    mmseg's ``init_model`` makes the config's scope the process-wide default; it is built inside a
    temporary scope instead, so that mmdet models built afterwards (RSIS...) still resolve.
    """
    import mmsegsup  # noqa: F401  (registers RefVOS, safe checkpoint loading)
    from mmseg.apis import init_model
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        return init_model(config, checkpoint, device=device, cfg_options=cfg_options)


def _type_name(step: dict) -> str:
    kind = step.get('type', '')
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))
    return name.split('.')[-1]


def _pipelines(model) -> dict:
    """Test pipelines for file paths and for arrays, without ground-truth loading."""
    cfg = getattr(model, 'cfg', None)
    if cfg is None or not cfg.get('test_pipeline'):
        raise ValueError('the model has no cfg.test_pipeline; build it with '
                         'init_referring_model (mmseg init_model) or set model.cfg')
    steps = [copy.deepcopy(s) for s in cfg.test_pipeline if _type_name(s) not in GT_LOADERS]
    if not steps or 'LoadImage' not in _type_name(steps[0]):
        raise ValueError('cfg.test_pipeline must start with an image loading step, got '
                         f'{[_type_name(s) for s in steps]}')
    from_array = [dict(steps[0], type='mmseg.LoadImageFromNDArray')] + steps[1:]
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmsegsup_seg')):
        return dict(path=Compose(steps), array=Compose(from_array))


def _load(pipelines: dict, image: ImageType, expression: str) -> dict:
    if isinstance(image, np.ndarray):
        if image.ndim not in (2, 3):
            raise ValueError(f'an image array must be HxW or HxWxC, got shape {image.shape}')
        data = pipelines['array'](dict(img=image, expression=expression))
    elif isinstance(image, str):
        if not osp.isfile(image):
            raise FileNotFoundError(f'image {image} not found')
        data = pipelines['path'](dict(img_path=image, expression=expression))
    else:
        raise ValueError(f'images must be paths or numpy arrays, got {type(image)}')
    # the config's PackSegInputs may not list 'expression' in its meta_keys
    data['data_samples'].set_metainfo(dict(expression=expression))
    return data


def _logits_fn(model, expression: str, backend) -> Callable[[Tensor, List[dict]], Tensor]:
    """``(inputs, metas) -> logits`` at the input size, the sentence encoded (torch) or
    tokenised (onnxruntime) once for all frames."""
    encoder = model.text_encoder
    if backend is None:
        # None: a visual-only ablation model
        text = None if encoder is None else encoder([expression])
        return lambda inputs, metas: model.inference(
            inputs, metas, None if text is None else text.expand(len(inputs), -1))
    if encoder is None:
        return lambda inputs, metas: backend.logits(inputs)
    tokens = encoder.tokenize([expression])
    return lambda inputs, metas: backend.logits(
        inputs, *(tokens[k].expand(len(inputs), -1) for k in ('input_ids', 'attention_mask')))


def inference_referring(model, images: Union[ImageType, Sequence[ImageType]], expression: str,
                        batch_size: int = 1, backend=None
                        ) -> Union[SegDataSample, List[SegDataSample]]:
    """Predict the referent of ``expression`` in one image (-> one ``SegDataSample``) or in
    a list of frames (paths or BGR arrays, -> a list), ``batch_size`` frames per forward;
    ``backend``: an ``ORTReferringModel`` of ``model``'s export runs the network instead."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(f'expression must be a non-empty sentence, got {expression!r}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if not hasattr(model, 'text_encoder'):
        raise ValueError(f'inference_referring needs a referring model (RefVOS), got '
                         f'{type(model).__name__}')
    check_backend(backend, REFVOS_IMAGE, 'inference_referring')
    is_list = isinstance(images, (list, tuple))
    frames = list(images) if is_list else [images]
    if not frames:
        raise ValueError('no images given')
    pipelines = _pipelines(model)
    results: List[SegDataSample] = []
    with torch.no_grad():
        logits_of = _logits_fn(model, expression, backend)
        for start in range(0, len(frames), batch_size):
            chunk = [_load(pipelines, f, expression) for f in frames[start:start + batch_size]]
            data = dict(inputs=[d['inputs'] for d in chunk],
                        data_samples=[d['data_samples'] for d in chunk])
            data = model.data_preprocessor(data, False)
            samples = data['data_samples']
            logits = logits_of(data['inputs'], [s.metainfo for s in samples])
            results.extend(model.postprocess_result(logits, samples))
    return results if is_list else results[0]
