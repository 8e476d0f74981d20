"""Every file under configs/ loads; every model config builds its model (on the meta device:
no weights are made or read), its pipelines and its metrics, without data on disk or network.

Pretrained weights come only from ``init_weights`` (never called here). HF text encoders that
would be fetched (``bert-base-uncased``) are built offline from ``BertConfig()``, the bundled
MiniLM from its own config.json, so the architecture is the config's in both cases.
"""
import copy
import glob
import json
import os.path as osp
from typing import Iterator, List

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import METRICS, MODELS, TRANSFORMS, DefaultScope

from tools_utils import REPO

CONFIGS = sorted(osp.relpath(p, REPO) for p in
                 glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
LEAVES = [p for p in CONFIGS if '_base_' not in p.split(osp.sep)]
# built on the CPU instead of the meta device, with the reason
CPU_BUILDS = {'rsis_swin-t_coco.py': "mmdet's SwinTransformer calls .item() while it builds"}
# evaluator arguments naming a file the metric reads when it is built (CocoMetric's)
FILE_ARGS = ('ann_file', )


def _offline_text_encoder(model: ConfigDict) -> None:
    encoder = model.get('text_encoder')
    if not encoder or encoder.get('model_config') is not None:
        return
    from mmsegsup.models.text.hf_text_encoder import MINILM_OFFLINE, resolve_text_model
    if encoder.model_name_or_path == MINILM_OFFLINE:
        with open(osp.join(resolve_text_model(MINILM_OFFLINE), 'config.json')) as f:
            encoder.model_config = json.load(f)
    else:
        assert encoder.model_name_or_path == 'bert-base-uncased', encoder.model_name_or_path
        encoder.model_config = dict(model_type='bert')  # BertConfig() = bert-base


def _pipelines(node) -> Iterator[List[dict]]:
    """Every ``pipeline`` list inside a dataloader / dataset config (wrappers included)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pipeline' and isinstance(value, list):
                yield value
            else:
                yield from _pipelines(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _pipelines(value)


def _metric_cfgs(evaluator) -> List[dict]:
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    out = []
    for metric in metrics:
        metric = copy.deepcopy(metric)
        for key in FILE_ARGS:
            if metric.get(key):
                metric[key] = None  # then the metric converts the ground truth itself
        out.append(metric)
    return out


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, 'configs'))
def test_config_loads_with_our_imports(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.to_dict() is not None
    if path not in LEAVES:
        return  # a base: a fragment its leaves complete
    if 'model' in cfg:  # what tools/train.py and stock mmdet / mmseg tools run
        assert 'mmsegsup' in cfg.custom_imports['imports']
    else:  # settings of tools/basis_pipeline.py or tools/active_learning.py
        assert {'basis', 'active_learning'} & set(cfg), (
            f'{path}: a leaf config without a model, basis or active_learning dict')


@pytest.mark.parametrize('path', [p for p in LEAVES if 'model' in Config.fromfile(
    osp.join(REPO, p))], ids=lambda p: osp.relpath(p, 'configs'))
def test_model_pipelines_and_metrics_build(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    _offline_text_encoder(cfg.model)
    device = 'cpu' if osp.basename(path) in CPU_BUILDS else 'meta'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        with torch.device(device):
            model = MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0
        loaders = {k: v for k, v in cfg.items() if k.endswith('dataloader') and v}
        assert 'train_dataloader' in loaders and 'test_dataloader' in loaders, sorted(loaders)
        for name, loader in list(loaders.items()) + [('pseudo_label_dataset',
                                                      cfg.get('pseudo_label_dataset'))]:
            for pipeline in _pipelines(loader):
                for step in pipeline:
                    assert TRANSFORMS.build(copy.deepcopy(step)) is not None, (name, step)
        for key in ('val_evaluator', 'test_evaluator'):
            for metric in _metric_cfgs(cfg.get(key, [])):
                assert METRICS.build(metric) is not None, (key, metric)
