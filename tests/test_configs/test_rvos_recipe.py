"""The thesis RVOS configs train with imatge-upc/rvos's recipe (issue 13, item 5): read from
the built optimizer, datasets, pipelines, hooks and a short run of the schedule's runner."""
import copy
import json
import os
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmsegsup.datasets.synthetic.videos import generate_shapes_videos, generate_shapes_videos_ytvos
from mmsegsup.datasets.transforms.affine import affine_source_index, torchsample_affine_matrix
from mmsegsup.registry import DATASETS, HOOKS, MODELS, TRANSFORMS
from tools_utils import REPO, run

RVOS = osp.join(REPO, 'configs', 'rvos')
ONESHOT = osp.join(RVOS, 'rvos-mask-st_r101_youtube-vos-256x448_oneshot.py')
ZEROSHOT = osp.join(RVOS, 'rvos-st_r101_youtube-vos-256x448_zeroshot.py')
DAVIS_FT = osp.join(RVOS, 'rvos-mask-st_r101_davis-2017-240x427_ft.py')
THESIS = {name: osp.join(RVOS, name) for name in (
    'rvos-mask-st_r101_youtube-vos-256x448_oneshot.py',
    'rvos-mask-s_r101_youtube-vos-256x448_oneshot.py',
    'rvos-mask-t_r101_youtube-vos-256x448_oneshot.py',
    'rvos-st_r101_youtube-vos-256x448_zeroshot.py',
    'rvos-s_r101_youtube-vos-256x448_zeroshot.py',
    'rvos-t_r101_youtube-vos-256x448_zeroshot.py',
    'rvos-mask-st_r101_davis-2017-240x427_ft.py')}
AFFINE_REFS = osp.join(REPO, 'tests', 'data', 'original_refs', 'rvos', 'augment')
# Frames per video of the fake layouts: floor(n / 5) clips each -> 2, 1, 0 (shorter than a
# clip: no sample) and 2 (an exact multiple).
YT_TRAIN = {0: 12, 1: 7, 2: 4}
YT_VAL = {3: 10}
DAVIS_TRAIN = [12, 9, 5]
DAVIS_VAL = [6, 3]


def _trim_ytvos(root: str, lengths: dict) -> None:
    """Cut the synthetic YouTube-VOS videos to ``lengths`` frames (files and meta.json)."""
    meta_path = osp.join(root, 'train', 'meta.json')
    with open(meta_path) as f:
        meta = json.load(f)
    names = sorted(meta['videos'])
    for v, n in lengths.items():
        name = names[v]
        for folder, ext in (('JPEGImages', '.jpg'), ('Annotations', '.png')):
            d = osp.join(root, 'train', folder, name)
            for f in sorted(os.listdir(d))[n:]:
                os.remove(osp.join(d, f))
        keep = {osp.splitext(f)[0] for f in os.listdir(osp.join(root, 'train', 'JPEGImages',
                                                               name))}
        objects = meta['videos'][name]['objects']
        for k in list(objects):
            objects[k]['frames'] = [s for s in objects[k]['frames'] if s in keep]
            if not objects[k]['frames']:
                del objects[k]
    with open(meta_path, 'w') as f:
        json.dump(meta, f)


@pytest.fixture(scope='module')
def ytvos(tmp_path_factory) -> dict:
    """A YouTube-VOS layout (4 videos of 12, 7, 4, 10 frames) with the original's partition
    files, turned into the configs' video lists by the split tool's ``--from-meta``."""
    root = str(tmp_path_factory.mktemp('ytvos'))
    generate_shapes_videos_ytvos(root, 'train', num_videos=4, num_frames=12, size=64)
    _trim_ytvos(root, {**YT_TRAIN, **YT_VAL})
    with open(osp.join(root, 'train', 'meta.json')) as f:
        videos = json.load(f)['videos']
    names = sorted(videos)
    metas = []
    for part, ids in (('train-train', YT_TRAIN), ('train-val', YT_VAL)):
        path = osp.join(root, f'{part}-meta.json')
        with open(path, 'w') as f:
            json.dump(dict(videos={names[i]: videos[names[i]] for i in ids}), f)
        metas.append(path)
    run(['tools/dataset_converters/youtube_vos_split.py', root, '--from-meta', *metas])
    return dict(root=root, names=names)


@pytest.fixture(scope='module')
def davis(tmp_path_factory) -> str:
    """A DAVIS-2017 layout: train videos of 12, 9, 5 frames, val of 6 and 3."""
    root = str(tmp_path_factory.mktemp('davis'))
    for split, lengths in (('train', DAVIS_TRAIN), ('val', DAVIS_VAL)):
        generate_shapes_videos(root, split, num_videos=len(lengths), num_frames=12, size=64)
        for v, n in enumerate(lengths):
            for folder in ('JPEGImages', 'Annotations', 'Annotations_unsupervised'):
                d = osp.join(root, folder, '480p', f'shapes-{split}-{v:03d}')
                for f in sorted(os.listdir(d))[n:]:
                    os.remove(osp.join(d, f))
    return root


def _cfg(path: str, root: str) -> Config:
    """The config with its datasets at ``root``."""
    cfg = Config.fromfile(path)
    for key in ('train_dataloader', 'val_dataloader'):
        cfg[key].dataset.dataset.data_root = root
    return cfg


def _lr_wd(cfg: Config) -> dict:
    """(lr, weight decay) per parameter name, from the optimizer built for the config."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    names = {id(p): n for n, p in model.named_parameters()}
    out = {}
    for group in optim.param_groups:
        for p in group['params']:
            out[names[id(p)]] = (group['lr'], group['weight_decay'])
    assert len(out) == len(names)  # every parameter is optimised
    return out


@pytest.mark.parametrize('path', [ONESHOT, ZEROSHOT, DAVIS_FT], ids=osp.basename)
def test_param_groups_lr_and_weight_decay(path):
    """Adam, 1e-3 for the decoder and the skip projections, 1e-6 for the ResNet (BN
    included), weight decay 1e-6 for all, no clipping, constant."""
    cfg = Config.fromfile(path)
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert 'clip_grad' not in cfg.optim_wrapper and cfg.param_scheduler == []
    groups = _lr_wd(cfg)
    backbone = {n: v for n, v in groups.items() if n.startswith('backbone.')}
    head = {n: v for n, v in groups.items() if n.startswith('head.')}
    assert len(backbone) + len(head) == len(groups)
    assert {'backbone.conv1.weight', 'backbone.bn1.weight', 'backbone.layer1.0.bn1.bias',
            'backbone.layer4.2.conv3.weight'} <= set(backbone)
    projections = [n for n in head if n.startswith('head.decoder.projections.')]
    assert projections and any('cells' in n for n in head)
    assert 'head.decoder.conv_mask.weight' in head
    for lr, wd in backbone.values():
        assert lr == pytest.approx(1e-6, rel=1e-9) and wd == pytest.approx(1e-6, rel=1e-9)
    for lr, wd in head.values():
        assert lr == pytest.approx(1e-3, rel=1e-9) and wd == pytest.approx(1e-6, rel=1e-9)


def test_all_thesis_configs_share_the_optimisation():
    reference = Config.fromfile(ONESHOT).optim_wrapper
    for path in THESIS.values():
        assert Config.fromfile(path).optim_wrapper == reference, path


def _broadcast_types(pipeline) -> list:
    return [t.type for t in pipeline[1].transforms]


def test_youtube_vos_clips_batch_size_and_input_size(ytvos):
    cfg = _cfg(ONESHOT, ytvos['root'])
    loader = cfg.train_dataloader
    assert (loader.batch_size, loader.drop_last, loader.sampler.shuffle) == (4, True, True)
    ds = DATASETS.build(loader.dataset)
    # Every 5-frame clip of every train-train video, one sample each.
    assert len(ds) == sum(n // 5 for n in YT_TRAIN.values()) == 3
    assert [ds.clip_index(i) for i in range(len(ds))] == [(0, 0), (0, 5), (1, 0)]
    videos = [ds.dataset.get_data_info(v)['video_name'] for v in range(len(ds.dataset))]
    assert videos == ytvos['names'][:3]
    np.random.seed(0)
    for i, start in enumerate([0, 5, 0]):
        sample = ds[i]
        assert sample['inputs'].shape == (5, 3, 256, 448)
        assert [f.metainfo['frame_id'] for f in sample['data_samples']] == list(
            range(start, start + 5))
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(val) == YT_VAL[3] // 5 == 2
    assert [val.dataset.get_data_info(0)['video_name']] == [ytvos['names'][3]]
    assert _broadcast_types(cfg.val_dataloader.dataset.dataset.pipeline) == [
        'LoadImageFromFile', 'LoadVideoObjectAnnotations', 'Resize']  # no augmentation
    assert val.dataset.given_masks == 'all' and not val.dataset.test_mode


def test_davis_clips_and_240x427_without_padding(davis):
    cfg = _cfg(DAVIS_FT, davis)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == sum(n // 5 for n in DAVIS_TRAIN) == 4
    assert cfg.train_dataloader.batch_size == 4
    sample = ds[0]
    assert sample['inputs'].shape == (5, 3, 240, 427)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    assert preprocessor(pseudo_collate([sample]), True)['inputs'].shape == (1, 5, 3, 240, 427)
    assert len(DATASETS.build(cfg.val_dataloader.dataset)) == 1  # val 6 and 3 frames
    for key in ('val_clip_pipeline', 'test_pipeline'):
        resize = [t for t in cfg[key][1].transforms if t.type == 'Resize']
        assert [tuple(t.scale) for t in resize] == [(427, 240)], key


def test_augmentation_settings():
    cfg = Config.fromfile(ONESHOT)
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    assert pipeline[0] == dict(type='VideoClipSample', num_frames=5)
    assert pipeline[1].type == 'TransformBroadcaster' and pipeline[1].share_random_params
    assert _broadcast_types(pipeline) == ['LoadImageFromFile', 'LoadVideoObjectAnnotations',
                                          'Resize', 'RandomFlip', 'TorchsampleRandomAffine']
    resize, flip, affine = (TRANSFORMS.build(t) for t in pipeline[1].transforms[2:])
    assert tuple(resize.scale) == (448, 256) and not resize.keep_ratio
    assert flip.prob == 0.5 and flip.direction == 'horizontal'
    assert (affine.rotation_range, affine.translation_range, affine.shear_range,
            affine.zoom_range, affine.shear_unit) == (10.0, (0.1, 0.1), 0.1, (0.7, 1.4),
                                                      'degree')
    np.random.seed(0)
    draws = [affine.draw_params() for _ in range(300)]  # outside the broadcaster: fresh draws
    rot = np.array([d['rotation'] for d in draws])
    trans = np.array([d['translate'] for d in draws])
    shear = np.array([d['shear'] for d in draws])
    zoom = np.array([d['zoom'] for d in draws])
    assert np.abs(rot).max() <= 10 and np.abs(rot).max() > 9
    assert np.abs(trans).max() <= 0.1 and np.abs(trans).max() > 0.09
    assert np.abs(shear).max() <= 0.1 and np.abs(shear).max() > 0.09
    assert zoom.min() >= 0.7 and zoom.max() <= 1.4 and zoom.min() < 0.72 and zoom.max() > 1.38
    assert abs(np.corrcoef(zoom[:, 0], zoom[:, 1])[0, 1]) < 0.2  # rows and columns apart


def _pipeline(cfg_list) -> Compose:
    return Compose([TRANSFORMS.build(t) for t in cfg_list])


def _same_frame_clip(ds, video: int = 0) -> dict:
    """Video ``video``'s info with every frame pointing at its first frame's files."""
    info = ds.get_data_info(video)
    first = info['images'][0]
    for image in info['images']:
        image.update(img_path=first['img_path'], ann_path=first['ann_path'])
    info['key_frame_id'] = 0
    return info


def test_augmentation_is_shared_by_the_frames_of_a_clip(ytvos):
    """Five copies of one frame come out identical (one flip, one affine for the clip),
    different from the unaugmented pipeline; with the draws not shared they differ."""
    cfg = _cfg(ONESHOT, ytvos['root'])
    ds = DATASETS.build(cfg.train_dataloader.dataset).dataset
    info = _same_frame_clip(ds)
    np.random.seed(1)
    out = ds.pipeline(copy.deepcopy(info))
    frames = out['inputs']
    masks = [f.gt_instances.masks.masks for f in out['data_samples']]
    assert all(torch.equal(frames[0], f) for f in frames[1:])
    assert all(np.array_equal(masks[0], m) for m in masks[1:])
    plain = _pipeline(cfg.val_clip_pipeline)(copy.deepcopy(info))['inputs']
    assert not torch.equal(plain[0], frames[0])
    unshared = copy.deepcopy(cfg.train_pipeline)
    unshared[1].share_random_params = False
    frames = _pipeline(unshared)(copy.deepcopy(info))['inputs']
    assert not all(torch.equal(frames[0], f) for f in frames[1:])


@pytest.mark.parametrize('case', ['identity', 'rotate_max', 'zoom_in_out', 'translate',
                                  'shear_30deg', 'all_at_once', 'all_large_shear'])
def test_affine_equals_the_original_code(case):
    """Matrix and nearest warp equal imatge-upc/rvos's torchsample transforms (fixtures made
    by running them: tests/data/original_refs/rvos/augment)."""
    with open(osp.join(AFFINE_REFS, 'affine_cases.json')) as f:
        ref = json.load(f)['cases'][case]
    arrays = np.load(osp.join(AFFINE_REFS, 'affine_cases.npz'))
    matrix = torchsample_affine_matrix(ref['rotation'], ref['translate'], ref['shear'],
                                       ref['zoom'], ref['size'])
    np.testing.assert_allclose(matrix, np.array(ref['matrix'], np.float32), atol=2e-7)
    rows, cols = affine_source_index(matrix, ref['size'])
    np.testing.assert_array_equal(arrays[f'{case}_img'][rows, cols], arrays[f'{case}_img_out'])
    np.testing.assert_array_equal(arrays[f'{case}_ann'][rows, cols], arrays[f'{case}_ann_out'])
    if case != 'identity':
        assert (arrays[f'{case}_ann_out'] != arrays[f'{case}_ann']).any()


def test_affine_transform_warps_image_and_masks_alike():
    from mmdet.structures.mask import BitmapMasks
    ref = json.load(open(osp.join(AFFINE_REFS, 'affine_cases.json')))['cases']['all_at_once']
    arrays = np.load(osp.join(AFFINE_REFS, 'affine_cases.npz'))
    img, ann = arrays['all_at_once_img'], arrays['all_at_once_ann']
    t = TRANSFORMS.build(dict(type='TorchsampleRandomAffine'))
    params = dict(rotation=ref['rotation'], translate=tuple(ref['translate']),
                  shear=ref['shear'], zoom=tuple(ref['zoom']))
    ids = np.array([1, 2, 3])
    masks = BitmapMasks((ann[None] == ids[:, None, None]).astype(np.uint8), *ann.shape)
    out = t.warp(dict(img=img, gt_masks=masks), params)
    np.testing.assert_array_equal(out['img'], arrays['all_at_once_img_out'])
    np.testing.assert_array_equal(out['gt_masks'].masks,
                                  arrays['all_at_once_ann_out'][None] == ids[:, None, None])


def test_curriculum_and_epochs():
    one = Config.fromfile(ONESHOT)
    assert one.train_cfg.max_epochs == 40 and one.train_cfg.val_interval == 1
    assert one.custom_hooks == [dict(type='PrevMaskCurriculumHook', switch_epoch=20,
                                     restart_from_best=True)]
    for name in ('rvos-mask-s_r101_youtube-vos-256x448_oneshot.py',
                 'rvos-mask-t_r101_youtube-vos-256x448_oneshot.py'):
        cfg = Config.fromfile(THESIS[name])
        assert cfg.train_cfg.max_epochs == 20 and cfg.custom_hooks == []  # GT masks only
    for name in ('rvos-st_r101_youtube-vos-256x448_zeroshot.py',
                 'rvos-s_r101_youtube-vos-256x448_zeroshot.py',
                 'rvos-t_r101_youtube-vos-256x448_zeroshot.py'):
        cfg = Config.fromfile(THESIS[name])
        assert cfg.train_cfg.max_epochs == 50 and cfg.custom_hooks == []
        assert not cfg.model.head.one_shot and cfg.model.head.match_frames == 'first'
    ft = Config.fromfile(DAVIS_FT)
    assert ft.train_cfg.max_epochs == 20 and ft.load_from and ft.model.backbone.init_cfg is None
    hook = HOOKS.build(ft.custom_hooks[0])
    runner = SimpleNamespace(model=SimpleNamespace(head=SimpleNamespace(
        use_predicted_prev_mask=False)), epoch=0, iter=0)
    hook.before_train_iter(runner, 0)
    assert runner.model.head.use_predicted_prev_mask  # inferred masks from the first step


def test_model_selection_by_validation_loss():
    for path in THESIS.values():
        cfg = Config.fromfile(path)
        assert cfg.val_cfg == dict(type='LossValLoop') and cfg.val_evaluator == []
        assert cfg.train_cfg.val_interval == 1
        ckpt = cfg.default_hooks.checkpoint
        assert (ckpt.save_best, ckpt.rule) == ('val_loss', 'less')
        assert cfg.val_dataloader.dataset.type == 'VideoClipsDataset'


def test_encoder_batchnorm_as_the_original():
    """Train-mode BN (norm_eval False), statistics per frame of 4 images: the encoder runs
    once per frame and BN's counters move T times per clip batch."""
    cfg = Config.fromfile(ONESHOT)
    assert cfg.model.backbone.norm_eval is False and cfg.model.encode_per_frame
    assert cfg.model.backbone.frozen_stages == -1
    assert cfg.model.head.loss_mask == dict(type='SoftIoULoss', smooth=0.0)
    cpu = Config.fromfile(osp.join(RVOS, 'rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py'))
    for per_frame, calls in ((True, [2, 2, 2]), (False, [6])):
        model = MODELS.build(dict(cpu.model, encode_per_frame=per_frame))
        model.train()
        sizes = []
        model.backbone.register_forward_hook(lambda m, args, out: sizes.append(len(args[0])))
        inputs = torch.rand(2, 3, 3, 64, 64)
        model.clip_feats(inputs)
        assert sizes == calls
        assert int(model.backbone.bn1.num_batches_tracked) == len(calls)


def test_zero_shot_matching_on_the_first_frame():
    """match_frames='first' pairs slots and objects by the first frame only (train.py:136-157);
    'clip' by the whole clip."""
    cfg = Config.fromfile(osp.join(RVOS, 'rvos-st_r18-c16_shapes-videos-64x64_zeroshot_cpu.py'))
    logits = torch.full((1, 3, 2, 8, 8), -10.0)
    targets = torch.zeros((1, 3, 2, 8, 8))
    targets[0, :, 0, :4] = 1  # object 0: top half in every frame
    targets[0, :, 1, 4:] = 1  # object 1: bottom half
    logits[0, 0, 0, :4] = 10  # frame 0: slot 0 on object 0, slot 1 on object 1
    logits[0, 0, 1, 4:] = 10
    logits[0, 1:, 0, 4:] = 10  # frames 1-2: swapped
    logits[0, 1:, 1, :4] = 10
    valid = torch.ones((1, 2), dtype=torch.bool)
    pairs = {}
    for frames in ('first', 'clip'):
        head = MODELS.build(dict(cfg.model.head, num_slots=2, match_frames=frames))
        _, slots, objects = head.match_slots(logits, targets, valid)
        pairs[frames] = dict(zip(slots.tolist(), objects.tolist()))
    assert pairs == {'first': {0: 0, 1: 1}, 'clip': {0: 1, 1: 0}}


class _Recorder(Hook):
    """Records what the restart hook left at each epoch start, and the model's mode during
    validation."""
    priority = 'LOWEST'

    def __init__(self) -> None:
        self.epochs, self.val_training, self.metrics = {}, [], []

    def before_train_epoch(self, runner) -> None:
        self.epochs[runner.epoch] = dict(
            state={k: v.clone() for k, v in runner.model.state_dict().items()},
            optim_state=len(runner.optim_wrapper.optimizer.state),
            best=runner.message_hub.get_info('best_ckpt'),
            best_score=runner.message_hub.get_info('best_score'))

    def before_val_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.val_training.append(runner.model.training)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics.append(dict(metrics))


def test_schedule_runs_two_stages_from_the_best_checkpoint(ytvos, tmp_path):
    """The thesis schedule on a tiny model: validation by the loss every epoch (model in eval
    mode), best kept; at the switch the second stage starts from the best checkpoint with a
    fresh optimizer state and its own best, the first stage's best file kept."""
    cfg = _cfg(ONESHOT, ytvos['root'])
    cpu = Config.fromfile(osp.join(RVOS, 'rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py'))
    cfg.model = dict(cpu.model, encode_per_frame=True,
                     data_preprocessor=cfg.model.data_preprocessor)
    cfg.train_cfg.max_epochs = 3
    cfg.custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_epoch=2,
                             restart_from_best=True)]
    for key in ('train_dataloader', 'val_dataloader'):
        cfg[key].update(batch_size=2, num_workers=0, persistent_workers=False)
        for t in cfg[key].dataset.dataset.pipeline[1].transforms:
            if t.type == 'Resize':
                t.scale = (64, 64)  # the schedule is under test, not the input size
    cfg.work_dir = str(tmp_path / 'work')
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint.interval = 10  # only the best ones (each save formats the config)
    runner = Runner.from_cfg(cfg)
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    assert recorder.val_training and not any(recorder.val_training)
    assert len(recorder.metrics) == 3
    assert all({'val_loss', 'loss_mask'} <= set(m) for m in recorder.metrics)
    before = recorder.epochs[1]
    assert before['optim_state'] > 0 and before['best'] is not None
    at_switch = recorder.epochs[2]
    assert at_switch['optim_state'] == 0 and at_switch['best'] is None
    assert at_switch['best_score'] is None
    first_best = runner.message_hub.get_info('best_ckpt')  # set again by stage 2's validation
    files = sorted(f for f in os.listdir(cfg.work_dir) if f.startswith('best_val_loss'))
    assert len(files) == 2 and osp.basename(first_best) == files[-1]  # stage 1's kept
    stage1 = torch.load(osp.join(cfg.work_dir, files[0]), map_location='cpu',
                        weights_only=False)['state_dict']
    for key, value in stage1.items():
        assert torch.equal(at_switch['state'][key], value), key
    assert runner.message_hub.get_info('best_score') == recorder.metrics[2]['val_loss']


VARIANT = osp.join(RVOS, 'rvos-mask-st_r101_youtube-vos-256x448_oneshot_mmsegsup-decoder.py')


def test_converted_model_is_the_base_with_the_published_arguments():
    """The converter's model is configs/_base_/models/rvos-st_r101.py with only what args.pkl
    and the eval command line decide changed (and no ImageNet init, BN in eval mode): for the
    original's default arguments (R101, hidden 128, k 3, maxseqlen 10) nothing else."""
    from mmsegsup.models.converters import rvos_model_cfg
    expected = Config.fromfile(osp.join(REPO, 'configs/_base_/models/rvos-st_r101.py')).model
    expected.backbone.update(init_cfg=None, norm_eval=True)
    assert rvos_model_cfg(SimpleNamespace(), one_shot=True) == expected.to_dict()
    expected.backbone.depth = 34
    expected.head.update(in_channels=[64, 128, 256, 512], recurrence='T', one_shot=False,
                         num_slots=5)
    expected.head.decoder.update(hidden_channels=(16, 8, 4, 2), skip_channels=(16, 16, 8, 4),
                                 kernel_size=1, proj_kernel_size=1, mask_kernel_size=1)
    args = SimpleNamespace(base_model='resnet34', hidden_size=16, kernel_size=1, maxseqlen=7,
                           only_temporal=True)
    assert rvos_model_cfg(args, one_shot=False, maxseqlen=5) == expected.to_dict()


def test_thesis_head_is_the_published_architecture():
    """The thesis configs build the head the converter writes for a published model of the
    original's default arguments (R101, hidden 128, k 3, maxseqlen 10); the variant config is
    the same recipe with our decoder."""
    from mmsegsup.models.converters import rvos_model_cfg
    published = rvos_model_cfg(SimpleNamespace(), one_shot=True)['head']
    for path in THESIS.values():
        head = Config.fromfile(path).model.head
        for key in ('type', 'in_channels', 'decoder', 'num_slots', 'protocol'):
            assert head[key] == published[key], (path, key)
    assert Config.fromfile(ONESHOT).model.head.train_valid == 'video'
    assert Config.fromfile(DAVIS_FT).model.head.train_valid == 'frame'
    variant = Config.fromfile(VARIANT)
    assert variant.model.head.protocol == 'mmsegsup'
    assert variant.model.head.decoder == dict(type='RecurrentMaskDecoder',
                                              hidden_channels=(128, 64, 32),
                                              use_levels=(1, 2, 3), pooling=('max', ))
    thesis = Config.fromfile(ONESHOT)
    for key in ('optim_wrapper', 'train_dataloader', 'train_cfg', 'custom_hooks'):
        assert variant[key] == thesis[key], key


def _clip(frames_ids, video_ids, size=64):
    """One TrackDataSample clip whose frame t holds the objects ``frames_ids[t]`` (id -> a
    square's position) and whose video lists ``video_ids``."""
    from mmdet.structures import DetDataSample, TrackDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    frames = []
    for t, objects in enumerate(frames_ids):
        meta = dict(batch_input_shape=(size, size), frame_id=t)
        if video_ids is not None:
            meta['video_object_ids'] = list(video_ids)
        sample = DetDataSample(metainfo=meta)
        ids = sorted(objects)
        masks = np.zeros((len(ids), size, size), np.uint8)
        for k, obj in enumerate(ids):
            y, x = objects[obj]
            masks[k, y:y + 16, x:x + 16] = 1
        sample.gt_instances = InstanceData(masks=BitmapMasks(masks, size, size),
                                           instances_ids=torch.tensor(ids, dtype=torch.long),
                                           labels=torch.zeros(len(ids), dtype=torch.long))
        frames.append(sample)
    return TrackDataSample(video_data_samples=frames)


def _original_loss(logits, targets, sw):
    """train_previous_mask.py:140-147 + objectives.py:29-36 + hungarian.py softIoU, written
    out: per frame the masked mean of 1 - sIoU (all entries when no slot is valid), summed."""
    total = 0.0
    for t in range(logits.shape[1]):
        p = logits[:, t].sigmoid().flatten(2)
        y = targets[:, t].flatten(2)
        cost = 1 - (p * y).sum(-1) / ((p + y - p * y).sum(-1) + 1e-6)
        keep = sw[:, t] if sw[:, t].any() else torch.ones_like(sw[:, t])
        total = total + cost[keep].mean()
    return total


@pytest.mark.parametrize('train_valid', ['video', 'frame'])
def test_one_shot_loss_by_id_as_the_original(train_valid):
    """protocol='original': object id i in slot i - 1 of all maxseqlen slots (ids beyond are
    dropped), the first frame's ground truth as the previous masks of every slot, and the
    loss of train_previous_mask.py with the sw_mask of YouTube-VOS ('video': every object of
    the video at every frame) or DAVIS ('frame': the objects in the frame)."""
    from mmsegsup.models.converters import rvos_model_cfg
    torch.manual_seed(0)
    head_cfg = rvos_model_cfg(SimpleNamespace(base_model='resnet34', hidden_size=16),
                              one_shot=True, maxseqlen=6)['head']
    head = MODELS.build(dict(head_cfg, train_valid=train_valid, loss_mask=dict(
        type='SoftIoULoss', smooth=0.0)))
    head.init_weights()
    # ids 2 and 5 (5 leaves at frame 1), 7 (> 6 slots: dropped), 4 in the video, never here
    clips = [_clip([{2: (0, 0), 5: (30, 30), 7: (40, 0)}, {2: (8, 8)}, {2: (16, 16), 5: (0, 40)}],
                   video_ids=[2, 4, 5, 7]),
             _clip([{1: (10, 10)}, {1: (12, 12)}, {1: (14, 14)}], video_ids=[1])]
    feats = [tuple(torch.randn(2, c, 64 // s, 64 // s) for c, s in zip([64, 128, 256, 512],
                                                                      [4, 8, 16, 32]))
             for _ in range(3)]
    slotted = head.get_targets(clips, torch.device('cpu'))
    targets, valid = slotted.masks, head.sw_mask(clips, slotted)
    assert targets.shape == (2, 3, 6, 64, 64)
    assert targets[0, 0, 1, 0, 0] == 1 and targets[0, 0, 4, 30, 30] == 1
    assert targets[0, 1, 4].sum() == 0 and targets[1, :, 0].sum() == 3 * 256
    sw = torch.zeros(2, 3, 6, dtype=torch.bool)
    if train_valid == 'video':
        sw[0, :, [1, 3, 4]] = True
        sw[1, :, 0] = True
    else:
        sw[0, :, 1] = True
        sw[0, [0, 2], 4] = True
        sw[1, :, 0] = True
    assert torch.equal(valid, sw)
    seen = []
    frame = head.frame
    head.frame = lambda f, temporal, prev, n: seen.append((prev, n)) or frame(f, temporal, prev, n)
    loss = head.loss(feats, clips)['loss_mask']
    assert [n for _, n in seen] == [6, 6, 6]
    assert torch.equal(seen[0][0], targets[:, 0]) and torch.equal(seen[1][0], targets[:, 0])
    assert torch.equal(seen[2][0], targets[:, 1])  # ground truth of the frame before
    head.frame = frame
    logits = head(feats, targets)['mask_logits']
    torch.testing.assert_close(loss, _original_loss(logits, targets, sw))
    loss.backward()
    head.train_valid = 'video'
    with pytest.raises(KeyError, match='video_object_ids'):
        clip = [_clip([{1: (0, 0)}], video_ids=None)]
        head.sw_mask(clip, head.get_targets(clip, torch.device('cpu')))


def test_zero_shot_loss_by_id_as_the_original():
    """Zero-shot, protocol='original' (train.py:68-175): on the clip's first frame only the
    valid slots (the objects' id - 1) compete for the valid objects; that permutation of the
    ground truth holds for the clip, and the loss is train_previous_mask.py's reduction."""
    from scipy.optimize import linear_sum_assignment

    from mmsegsup.models.converters import rvos_model_cfg
    head_cfg = rvos_model_cfg(SimpleNamespace(base_model='resnet34', hidden_size=16),
                              one_shot=False, maxseqlen=5)['head']
    head = MODELS.build(dict(head_cfg, loss_mask=dict(type='SoftIoULoss', smooth=0.0)))
    clips = [_clip([{1: (0, 0), 3: (30, 30)}, {1: (8, 8), 3: (28, 28)}], video_ids=[1, 3]),
             _clip([{2: (10, 40)}, {2: (12, 40)}], video_ids=[2, 4])]
    slotted = head.get_targets(clips, torch.device('cpu'))
    targets, valid = slotted.masks, head.sw_mask(clips, slotted)
    assert valid[0, :, [0, 2]].all() and valid[1, :, [1, 3]].all() and valid.sum() == 8
    torch.manual_seed(1)
    logits = torch.randn(2, 2, 5, 64, 64)
    logits[0, 0, 0] += 8 * targets[0, 0, 2]  # slot 0 finds object 3 on the first frame,
    logits[0, 0, 2] += 8 * targets[0, 0, 0]  # slot 2 object 1: the ground truth is swapped
    logits[0, 0, 4] += 9 * targets[0, 0, 0]  # a better slot that is not valid cannot win
    head.forward = lambda feats, t: dict(mask_logits=logits)
    loss = head.loss([(torch.zeros(2, 1), )] * 2, clips)['loss_mask']
    permuted = targets.clone()
    for b in range(2):
        slots = valid[b, 0].nonzero()[:, 0].tolist()
        p = logits[b, 0, slots].sigmoid().flatten(1)
        y = targets[b, 0, slots].flatten(1)
        inter = p @ y.T
        cost = 1 - inter / (p.sum(1)[:, None] + y.sum(1)[None] - inter + 1e-6)
        rows, cols = linear_sum_assignment(cost.numpy())
        for r, c in zip(rows, cols):
            permuted[b, :, slots[r]] = targets[b, :, slots[c]]
    assert torch.equal(permuted[0, :, 0], targets[0, :, 2])
    torch.testing.assert_close(loss, _original_loss(logits, permuted, valid))
    assert abs(float(loss - _original_loss(logits, targets, valid))) > 0.01
