"""RefVOS end to end: configs build, the thesis LR schedule, train/test CLIs, the demo, and
(slow) the model grounds sentences: it beats the same model with the language ignored on the
non-trivial expressions, and changing only the sentence moves the mask."""
import csv
import glob
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tools_utils import REPO, run

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('refvos_e2e')

CONFIG_DIR = osp.join(REPO, 'configs', 'refvos')
CONFIGS = sorted(glob.glob(osp.join(CONFIG_DIR, '*.py')))
CPU_CONFIG = osp.join(CONFIG_DIR, 'refvos_r18-c16_referring-shapes-64x64_cpu.py')
VIDEO_CONFIG = osp.join(CONFIG_DIR, 'refvos_r18-c16_referring-shapes-videos-64x64_cpu_test.py')


def _type(step) -> str:
    return step['type'] if isinstance(step['type'], str) else step['type'].__name__


# ------------------------------------------------------------------ configs build
@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    import mmsegsup  # noqa: F401
    from mmsegsup.registry import SEG_MODELS as MODELS
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmsegsup_seg'
    assert 'mmsegsup' in cfg.custom_imports['imports']
    for loader in ('train_dataloader', 'test_dataloader'):
        steps = [_type(s) for s in cfg[loader].dataset.pipeline]
        assert 'RandomFlip' not in steps, 'flipping breaks "left" / "right"'
        assert 'LoadReferringMask' in steps
        pack = [s for s in cfg[loader].dataset.pipeline if _type(s) == 'PackSegInputs'][0]
        assert {'expression', 'expr_id', 'trivial', 'video', 'frame_id'} <= set(pack.meta_keys)
    cfg.model.backbone.init_cfg = None
    cfg.model.text_encoder.model_name_or_path = 'minilm-offline'
    if cfg.model.text_encoder.get('fixed_prefixes'):
        # the thesis configs fix BERT-base's layers 10-11: a 12-layer BERT of MiniLM's width
        cfg.model.text_encoder.model_config = dict(
            model_type='bert', hidden_size=384, num_attention_heads=2, intermediate_size=64)
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'RefVOS'
    assert model.decode_head.num_classes == 2 and model.decode_head.fusion == 'mul'
    assert model.decode_head.text_channels == 384


def test_visual_only_ablation_builds_no_text_encoder():
    import mmsegsup  # noqa: F401
    from mmengine.structures import PixelData
    from mmsegsup.registry import SEG_MODELS as MODELS
    from mmseg.structures import SegDataSample
    cfg = Config.fromfile(CPU_CONFIG)
    cfg.model.decode_head.fusion = 'none'
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = MODELS.build(cfg.model)
    assert model.text_encoder is None and not hasattr(model.decode_head, 'text_proj')
    samples = []
    for i in range(2):  # BatchNorm of the ASPP image pooling needs 2 samples
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64),
                                             expression='the red circle', expr_id=str(i)))
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, 64, 64, dtype=torch.long))
        samples.append(sample)
    inputs = [torch.zeros(3, 64, 64, dtype=torch.uint8)] * 2
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    assert torch.isfinite(model(**data, mode='loss')['decode.loss_ce'])
    # the Python API runs it too (no sentence to encode)
    from mmsegsup.apis import inference_referring
    model.cfg = cfg
    model.eval()
    out = inference_referring(model, np.zeros((64, 64, 3), np.uint8), 'the red circle')
    assert out.pred_sem_seg.data.shape[-2:] == (64, 64)

def test_variant_model_settings():
    # our variant (thesis 6.6's prose); the original code's recipe:
    # tests/test_configs/test_refvos_recipe.py
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'refvos_r101_refcoco-480x480_mmsegsup.py'))
    bb, head = cfg.model.backbone, cfg.model.decode_head
    assert bb.depth == 101 and tuple(bb.dilations) == (1, 1, 2, 4)
    assert tuple(bb.strides) == (1, 2, 1, 1)
    assert bb.init_cfg.checkpoint == 'open-mmlab://resnet101_v1c'
    assert tuple(head.dilations) == (1, 12, 24, 36) and head.channels == 256
    assert cfg.model.text_encoder.model_name_or_path == 'bert-base-uncased'
    assert cfg.model.text_encoder.pooling == 'cls'
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'SGD' and opt.momentum == 0.9 and opt.weight_decay == 1e-6
    assert cfg.train_dataloader.batch_size == 7
    resize = [s for s in cfg.train_dataloader.dataset.pipeline if s['type'] == 'Resize'][0]
    assert tuple(resize['scale']) == (480, 480)
    assert cfg.train_dataloader.dataset.samples == 'sentence'
    assert cfg.val_evaluator.empty_union_iou == 1.0
    frozen = Config.fromfile(osp.join(CONFIG_DIR,
                                      'refvos_r101_davis-refer-480x480_ft_frozen-text.py'))
    assert frozen.model.text_encoder.frozen and frozen.load_from
    assert frozen.val_evaluator.type == 'ReferringDAVISMetric'


# ------------------------------------------------------------------ thesis schedule
def epoch_lrs(config: str, epochs: int) -> list:
    """The lr of each epoch, stepping the config's schedulers as ParamSchedulerHook does."""
    import mmengine.optim  # noqa: F401  (registers the schedulers)
    from mmengine.registry import PARAM_SCHEDULERS
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config))
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr, momentum=0.9)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=opt)) for s in cfg.param_scheduler]
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        for s in schedulers:
            s.step()
    return lrs


def test_refcoco_readme_schedule():
    lrs = epoch_lrs('refvos_r101_refcoco-480x480_readme-recipe.py', 45)
    # 0.01 decreasing 0.0004 per epoch until reaching 3e-3
    np.testing.assert_allclose(lrs[:18], [0.01 - 0.0004 * e for e in range(18)], rtol=1e-6)
    assert lrs[18] == pytest.approx(3e-3)
    # then 6e-3 decreasing 2.5e-4 per epoch to 1e-3
    np.testing.assert_allclose(lrs[19:40], [6e-3 - 2.5e-4 * k for k in range(21)], rtol=1e-6)
    # then fixed 3e-5
    np.testing.assert_allclose(lrs[40:], 3e-5, rtol=1e-6)
    for name in ('refvos_r101_refcoco-480x480_mmsegsup.py',
                 'refvos_r101_refcoco+-480x480_mmsegsup.py',
                 'refvos_r101_minilm_refcoco-480x480.py'):
        assert epoch_lrs(name, 45) == lrs


@pytest.mark.parametrize('kind', ['readme-recipe', 'mmsegsup'])
def test_a2d_and_davis_readme_schedules(kind):
    a2d = f'refvos_r101_a2d-sentences-480x480_{kind}.py'
    davis = f'refvos_r101_davis-refer-480x480_ft_{kind}.py'
    np.testing.assert_allclose(epoch_lrs(a2d, 15), [0.1 - 0.004 * e for e in range(15)],
                               rtol=1e-6)
    np.testing.assert_allclose(epoch_lrs(davis, 20), [1e-3 - 1e-5 * e for e in range(20)],
                               rtol=1e-6)
    for name, epochs in ((a2d, 15), (davis, 20)):
        cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
        assert cfg.train_cfg.max_epochs == epochs
        assert cfg.optim_wrapper.optimizer.weight_decay == 1e-6
        assert cfg.train_dataloader.batch_size == 7


# ------------------------------------------------------------------ CLIs on tiny data
def cpu_config(folder: str, name: str = 'cfg.py', base: str = CPU_CONFIG, extra: str = '',
               num_train: int = 6, num_val: int = 4, max_iters: int = 2,
               data_root: str = '') -> str:
    """A config inheriting ``base`` with its outputs (and data, by default) under ``folder``."""
    data_root = (data_root or osp.join(folder, 'data')).rstrip('/') + '/'
    text = f"""
_base_ = {base!r}
data_root = {data_root!r}
train_dataloader = dict(dataset=dict(data_root=data_root, num_images={num_train}))
val_dataloader = dict(dataset=dict(data_root=data_root, num_images={num_val}))
test_dataloader = val_dataloader
val_evaluator = dict(csv_file={osp.join(folder, 'expressions.csv')!r})
test_evaluator = val_evaluator
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
default_hooks = dict(checkpoint=dict(interval={max_iters}),
                     logger=dict(interval={min(max_iters, 50)}))
{extra}
"""
    path = osp.join(folder, name)
    with open(path, 'w') as f:
        f.write(text)
    return path


def parse_metrics(output: str) -> dict:
    """The last evaluation's metrics from a tools/test.py log (mmengine's ``key: value``)."""
    line = [ln for ln in output.splitlines() if 'overall_iou' in ln][-1]
    return {k: float(v) for k, v in re.findall(r'(\S+): (-?[\d.]+(?:e-?\d+)?)', line)}


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    """tools/train.py for 2 iterations on 6 synthetic images; the checkpoint and folder."""
    folder = str(tmp_path_factory.mktemp('refvos_tiny'))
    cfg = cpu_config(folder)
    run(['tools/train.py', cfg, '--work-dir', osp.join(folder, 'work')])
    ckpt = osp.join(folder, 'work', 'iter_2.pth')
    assert osp.isfile(ckpt)
    return folder, cfg, ckpt


def test_train_then_test_cli(tiny_run):
    folder, cfg, ckpt = tiny_run
    out = run(['tools/test.py', cfg, ckpt, '--work-dir', osp.join(folder, 'test')])
    metrics = parse_metrics(out.stdout + out.stderr)
    for key in ('overall_iou', 'mean_iou', 'prec@0.5', 'prec@0.9'):
        assert 0.0 <= metrics[key] <= 100.0
    with open(osp.join(folder, 'expressions.csv')) as f:
        rows = list(csv.DictReader(f))
    with open(osp.join(folder, 'data', 'expressions_val.json')) as f:
        expressions = json.load(f)['expressions']
    assert sorted(r['expr_id'] for r in rows) == sorted(e['expr_id'] for e in expressions)
    assert all(0.0 <= float(r['iou']) <= 1.0 for r in rows)


def test_video_config_tests_frame_by_frame(tiny_run):
    folder, _, ckpt = tiny_run
    data_root = osp.join(folder, 'videos') + '/'
    cfg = osp.join(folder, 'video_cfg.py')
    with open(cfg, 'w') as f:
        f.write(f"""
_base_ = {VIDEO_CONFIG!r}
test_dataloader = dict(dataset=dict(data_root={data_root!r}, num_videos=2, num_frames=3))
test_evaluator = dict(csv_file={osp.join(folder, 'video_expressions.csv')!r})
""")
    out = run(['tools/test.py', cfg, ckpt, '--work-dir', osp.join(folder, 'video_test')])
    assert 'overall_iou' in parse_metrics(out.stdout + out.stderr)
    with open(osp.join(folder, 'video_expressions.csv')) as f:
        rows = list(csv.DictReader(f))
    assert rows and all(int(r['num_frames']) == 3 and r['video'] for r in rows)


def test_demo_on_an_image_and_a_frame_folder(tiny_run):
    import cv2
    folder, cfg, ckpt = tiny_run
    images = sorted(glob.glob(osp.join(folder, 'data', 'JPEGImages', 'val', '*.jpg')))
    demo = 'tools/demo/refvos_demo.py'
    out_png = osp.join(folder, 'demo', 'overlay.png')
    run([demo, images[0], 'the red circle', '--config', cfg, '--checkpoint', ckpt,
         '--out', out_png], subprocess=True)
    overlay = cv2.imread(out_png)
    assert overlay is not None and overlay.shape == cv2.imread(images[0]).shape
    frames = osp.join(folder, 'frames')
    os.makedirs(frames)
    for i, path in enumerate(images[:3]):
        cv2.imwrite(osp.join(frames, f'{i:05d}.jpg'), cv2.imread(path))
    out_mp4 = osp.join(folder, 'demo', 'overlay.mp4')
    proc = run([demo, frames, 'big square on the left', '--config', cfg, '--checkpoint', ckpt,
                '--out', out_mp4])
    assert 'wrote 3 frames' in proc.stdout
    cap = cv2.VideoCapture(out_mp4)
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()
    assert not [f for f in os.listdir(osp.join(folder, 'demo')) if f.startswith('tmp')]
    with pytest.raises(AssertionError, match='sentence is empty'):
        run([demo, images[0], '  ', '--config', cfg, '--checkpoint', ckpt, '--out', out_png])


# ------------------------------------------------------------------ slow: grounding
# The shipped CPU config as it is (1500 iterations, 300 training images); only the fusion
# differs between the two runs.
SLOW_ITERS = 1500
_RUNS: dict = {}


def trained(tmp_path_factory, fusion: str) -> dict:
    """Train (tools/train.py) and test (tools/test.py) the CPU config once per fusion."""
    if fusion not in _RUNS:
        folder = str(tmp_path_factory.mktemp(f'refvos_{fusion}'))
        data = str(tmp_path_factory.getbasetemp() / 'refvos_shared_data')
        os.makedirs(data, exist_ok=True)
        extra = '' if fusion == 'mul' else f'model = dict(decode_head=dict(fusion={fusion!r}))'
        cfg = cpu_config(folder, extra=extra, num_train=300, num_val=60, max_iters=SLOW_ITERS,
                         data_root=data)
        run(['tools/train.py', cfg, '--work-dir', osp.join(folder, 'work')], timeout=1800)
        ckpt = osp.join(folder, 'work', f'iter_{SLOW_ITERS}.pth')
        out = run(['tools/test.py', cfg, ckpt, '--work-dir', osp.join(folder, 'test')])
        _RUNS[fusion] = dict(cfg=cfg, ckpt=ckpt, data=data,
                             metrics=parse_metrics(out.stdout + out.stderr))
    return _RUNS[fusion]


@pytest.mark.slow
def test_changing_the_sentence_moves_the_mask(tmp_path_factory):
    import cv2
    from PIL import Image

    from mmsegsup.apis.referring import inference_referring, init_referring_model
    from mmsegsup.datasets.synthetic.referring import generate_referring_shapes
    run_ = trained(tmp_path_factory, 'mul')
    root = osp.join(run_['data'], 'pairs')
    generate_referring_shapes(root, split='pairs', num_images=20, seed=7, size=64,
                              min_objects=2, max_objects=2)
    with open(osp.join(root, 'expressions_pairs.json')) as f:
        exprs = json.load(f)['expressions']
    model = init_referring_model(run_['cfg'], run_['ckpt'])
    by_image: dict = {}
    for e in exprs:
        by_image.setdefault(e['image'], []).append(e)
    wins = total = 0
    for image, pair in sorted(by_image.items()):
        assert len(pair) == 2
        ids = np.array(Image.open(osp.join(root, 'Annotations', 'pairs', image + '.png')))
        img = cv2.imread(osp.join(root, 'JPEGImages', 'pairs', image + '.jpg'))
        for e, other in ((pair[0], pair[1]), (pair[1], pair[0])):
            pred = inference_referring(model, img, e['sentence']).pred_sem_seg.data[0].numpy()
            own = (pred & (ids == e['obj_id'])).sum() / max((ids == e['obj_id']).sum(), 1)
            wrong = (pred & (ids == other['obj_id'])).sum() / max(
                (ids == other['obj_id']).sum(), 1)
            wins += int(own > 2 * wrong + 0.1)
            total += 1
    print(f'\nthe mask follows the sentence on {wins}/{total} expressions')
    assert wins >= 0.7 * total


@pytest.mark.slow
def test_language_beats_visual_only_on_non_trivial(tmp_path_factory):
    ours = trained(tmp_path_factory, 'mul')['metrics']
    blind = trained(tmp_path_factory, 'none')['metrics']
    print(f'\nnon-trivial overall IoU: RefVOS {ours["non-trivial/overall_iou"]:.1f}, '
          f'language ignored {blind["non-trivial/overall_iou"]:.1f}; all expressions: '
          f'{ours["overall_iou"]:.1f} vs {blind["overall_iou"]:.1f}')
    assert ours['non-trivial/overall_iou'] > blind['non-trivial/overall_iou'] + 10.0
    # The trained blind model collapses to background; a sentence-blind answer that is not
    # degenerate is "every object": RefVOS must also beat that on the non-trivial expressions.
    every = all_objects_overall_iou(trained(tmp_path_factory, 'mul')['data'], 'val')
    print(f'"every object" answer on the non-trivial expressions: overall IoU {every:.1f}')
    assert ours['non-trivial/overall_iou'] > every + 10.0


def all_objects_overall_iou(data_root: str, split: str) -> float:
    """Overall IoU (percent) of predicting the union of all objects for every non-trivial
    expression of a referring-shapes split: what a model blind to the sentence but good at
    finding shapes gets."""
    from PIL import Image
    with open(osp.join(data_root, f'expressions_{split}.json')) as f:
        exprs = json.load(f)['expressions']
    inter = union = 0
    for e in exprs:
        if e['trivial']:
            continue
        ids = np.array(Image.open(osp.join(data_root, 'Annotations', split, e['image'] + '.png')))
        ref, every = ids == e['obj_id'], ids > 0
        inter += int((ref & every).sum())
        union += int((ref | every).sum())
    return 100.0 * inter / union


def test_init_referring_model_keeps_the_default_scope():
    """mmseg's init_model makes the config's scope the default of the whole process, after
    which mmdet-family configs (RSIS...) no longer build; ours restores the scope it found."""
    from mmsegsup.apis import init_referring_model
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        init_referring_model(CPU_CONFIG)
        assert DefaultScope.get_current_instance().scope_name == 'mmsegsup'
