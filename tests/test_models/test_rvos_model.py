"""RVOS: variants build and learn-step, one-shot inference propagates, curriculum switches."""
import os.path as osp

import pytest
import torch
from mmsegsup.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmsegsup.engine.hooks import PrevMaskCurriculumHook
from tools_utils import REPO

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('rvos_model')

CFG = 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py'


@pytest.fixture(scope='module')
def cfg(tmp_path_factory):
    cfg = Config.fromfile(osp.join(REPO, CFG))
    root = str(tmp_path_factory.mktemp('videos'))
    for loader, n in ((cfg.train_dataloader, 3), (cfg.val_dataloader, 2)):
        loader.dataset.update(data_root=root, num_videos=n, num_frames=6)
    return cfg


def _model(cfg, recurrence='ST'):
    model_cfg = cfg.model.copy()
    model_cfg.head = dict(model_cfg.head, recurrence=recurrence)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def _batch(cfg, loader):
    ds = DATASETS.build(loader.dataset)
    return pseudo_collate([ds[i] for i in range(len(ds))])


@pytest.mark.parametrize('recurrence', ['S', 'T', 'ST'])
def test_variants_train_step(cfg, recurrence):
    model = _model(cfg, recurrence)
    data = model.data_preprocessor(_batch(cfg, cfg.train_dataloader), True)
    assert data['inputs'].dim() == 5  # (B, T, C, H, W)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_mask'} and torch.isfinite(losses['loss_mask'])
    losses['loss_mask'].backward()
    assert model.head.decoder.cells[0].gates.weight.grad.abs().sum() > 0
    expect_extra = recurrence == 'ST'
    assert model.head.decoder.cells[0].num_extra_hidden == int(expect_extra)


def test_one_shot_inference_whole_video(cfg):
    model = _model(cfg).eval()
    data = model.data_preprocessor(_batch(cfg, cfg.val_dataloader), False)
    with torch.no_grad():
        videos = model(**data, mode='predict')
    video = videos[0]
    assert len(video) == 6
    first_gt = video[0].gt_instances
    first_pred = video[0].pred_track_instances
    # The first frame returns the given masks; ids persist over the video.
    assert torch.equal(first_pred.masks.cpu(), first_gt.masks.to_tensor(torch.bool, 'cpu'))
    for frame in video:
        pred = frame.pred_track_instances
        assert pred.instances_ids.tolist() == sorted(first_gt.instances_ids.tolist())
        assert pred.masks.shape[1:] == frame.ori_shape
        assert pred.masks.sum(0).max() <= 1  # one object per pixel


def test_curriculum_hook_switches_and_follows_resume(cfg):
    model = _model(cfg)

    class Runner:
        pass

    runner = Runner()
    runner.model, runner.epoch = model, 0
    hook = PrevMaskCurriculumHook(switch_iter=10)
    for it, expected in ((0, False), (9, False), (10, True), (3, False)):  # 3: resumed earlier
        runner.iter = it
        hook.before_train_iter(runner, 0)
        assert model.head.use_predicted_prev_mask is expected
    with pytest.raises(ValueError, match='exactly one'):
        PrevMaskCurriculumHook()
    data = model.data_preprocessor(_batch(cfg, cfg.train_dataloader), True)
    model.head.use_predicted_prev_mask = True
    assert torch.isfinite(model(**data, mode='loss')['loss_mask'])


def test_zero_shot_slots_matched_once_per_clip(cfg):
    model_cfg = cfg.model.copy()
    model_cfg.head = dict(model_cfg.head, one_shot=False, num_slots=4)
    model = MODELS.build(model_cfg)
    model.init_weights()
    assert model.head.decoder.extra_input_channels == 0
    data = model.data_preprocessor(_batch(cfg, cfg.train_dataloader), True)
    losses = model(**data, mode='loss')
    losses['loss_mask'].backward()
    assert torch.isfinite(losses['loss_mask'])
    # Matching the clip volume: a slot that equals an object in every frame costs nothing.
    targets, valid, _ = model.head.get_targets(data['data_samples'], torch.device('cpu'))
    logits = torch.full((targets.shape[0], targets.shape[1], 4) + targets.shape[-2:], -20.0)
    logits[:, :, 2][targets[:, :, 0] > 0] = 20.0
    batch_idx, slot_idx, obj_idx = model.head.match_slots(logits, targets, valid)
    assert len(batch_idx) == valid.sum()  # every object of every clip gets one slot
    for b in range(targets.shape[0]):  # one assignment per clip, no slot used twice
        assert len(set(slot_idx[batch_idx == b].tolist())) == int(valid[b].sum())
    # The perfect slot 2 meets object 0 of every clip.
    assert all(((batch_idx == b) & (slot_idx == 2) & (obj_idx == 0)).any()
               for b in range(targets.shape[0]))
    model.eval()
    val = model.data_preprocessor(_batch(cfg, cfg.val_dataloader), False)
    with torch.no_grad():
        video = model(**val, mode='predict')[0]
    assert video[0].pred_track_instances.instances_ids.tolist() == [1, 2, 3, 4]
