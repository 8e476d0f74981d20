"""Every shipped config parses and builds; stock mmdet tools run our configs unchanged."""
import glob
import os.path as osp

import mmdet
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from tools_utils import REPO, run, tiny_config

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'rsis', '*.py')))


def _no_pretrained(cfg: Config) -> Config:
    """Tests run from random init: no hub is reachable."""
    cfg.model.backbone.init_cfg = None
    return cfg


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_and_runs_a_step(path):
    cfg = _no_pretrained(Config.fromfile(path))
    assert 'mmsegsup' in cfg.custom_imports['imports']
    model = MODELS.build(cfg.model)
    model.init_weights()
    num_classes = cfg.model.head.num_classes
    packed = demo_mm_inputs(batch_size=1, image_shapes=(3, 64, 64), num_items=[2],
                            num_classes=num_classes, with_mask=True)
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(sum(losses.values()))


def test_thesis_config_matches_thesis_settings():
    cfg = Config.fromfile(osp.join(REPO, 'configs/rsis/rsis_r101_voc-sbd_256x256.py'))
    assert cfg.model.backbone.depth == 101
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://resnet101'
    assert cfg.optim_wrapper.optimizer.type == 'Adam' and cfg.optim_wrapper.optimizer.lr == 1e-3
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['backbone']['lr_mult'] == 1e-3  # 1e-6
    assert cfg.train_dataloader.batch_size * 4 == 60
    assert cfg.train_dataloader.dataset.split == 'train_aug'
    resize = [t for t in cfg.train_pipeline if t['type'] == 'Resize'][0]
    assert tuple(resize['scale']) == (256, 256)


def test_swin_config_inherits_mmdet_backbone():
    cfg = Config.fromfile(osp.join(REPO, 'configs/rsis/rsis_swin-t_coco.py'))
    mmdet_cfg = Config.fromfile(osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'swin',
                                         'mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py'))
    assert cfg.model.type == 'RSIS'
    assert cfg.model.backbone.to_dict() == mmdet_cfg.model.backbone.to_dict()


def test_stock_mmdet_train_tool_runs_our_config(tmp_path):
    mmdet_train = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
    cfg = tiny_config(tmp_path, max_iters=2)
    run([mmdet_train, cfg, '--work-dir', str(tmp_path / 'work')])
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')
