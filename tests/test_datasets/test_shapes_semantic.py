"""Semantic synthetic shapes: deterministic label maps, an mmseg dataset, and the CPU config."""
import filecmp
import os
import os.path as osp
import pickle
import re

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmsegsup.registry import SEG_DATASETS as DATASETS, SEG_MODELS as MODELS
from PIL import Image
from pycocotools.coco import COCO

import mmsegsup  # noqa: F401
from mmsegsup.datasets import generate_shapes, generate_shapes_semantic
from mmsegsup.datasets.synthetic import semantic as sem
from mmsegsup.formats.errors import FormatError
from tools_utils import REPO, run

SEM_CONFIG = osp.join(REPO, 'configs/basis/deeplabv3plus_r18-c16_shapes-semantic-64x64_cpu.py')
MIOU = re.compile(r'mIoU: ([0-9.]+)')
TEST_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                 dict(type='PackSegInputs')]


@pytest.fixture
def mmseg_scope():
    """Build inside the mmseg family's scope, as its configs do."""
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        yield


def _files(root: str) -> list:
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _build(root, **kwargs):
    return DATASETS.build(dict(type='ShapesSemanticDataset', data_root=str(root),
                               pipeline=TEST_PIPELINE, **kwargs))


def test_same_args_same_bytes_other_seed_differs(tmp_path):
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        generate_shapes_semantic(str(tmp_path / name), 'train', 5, seed=seed)
    files = _files(str(tmp_path / 'a'))
    assert len(files) == 2 * 5 + 2
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'b', files, shallow=False)
    assert not mismatch and not errors
    assert not filecmp.cmp(tmp_path / 'a/ann_dir/train/train_00000.png',
                           tmp_path / 'c/ann_dir/train/train_00000.png', shallow=False)


def test_same_pictures_as_the_instance_split(tmp_path):
    generate_shapes(str(tmp_path), 'val', 12, seed=1)
    generate_shapes_semantic(str(tmp_path), 'val', 12, seed=1)
    names = [f'val_{i:05d}.png' for i in range(12)]
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'images/val', tmp_path / 'img_dir/val',
                                           names, shallow=False)
    assert not mismatch and not errors


def test_label_maps_are_palette_pngs_consistent_with_instances(tmp_path):
    ann = generate_shapes(str(tmp_path), 'train', 30, max_objects=4)
    generate_shapes_semantic(str(tmp_path), 'train', 30, max_objects=4)
    coco = COCO(ann)
    for img_id in coco.getImgIds():
        name = coco.loadImgs(img_id)[0]['file_name']
        with Image.open(tmp_path / 'ann_dir' / 'train' / name) as im:
            assert im.mode == 'P'
            assert im.getpalette()[:12] == [c for rgb in sem.SEMANTIC_PALETTE for c in rgb]
            labels = np.array(im)
        assert labels.dtype == np.uint8 and set(np.unique(labels)) <= {0, 1, 2, 3}
        for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            inside = labels[coco.annToMask(a) > 0]  # category ids are the class indices
            assert (inside == a['category_id']).all()
        assert (labels > 0).any()


def test_interrupted_generation_is_redone(tmp_path, monkeypatch):
    generate_shapes_semantic(str(tmp_path), 'train', 4)
    assert sem.shapes_semantic_current(str(tmp_path), 'train', num_images=4, seed=0, size=64,
                                       max_objects=4)

    def fail(*args):
        raise RuntimeError("killed")

    monkeypatch.setattr(sem, 'write_index_png', fail)
    with pytest.raises(RuntimeError):
        generate_shapes_semantic(str(tmp_path), 'train', 4)  # same settings, killed midway
    assert not sem.shapes_semantic_current(str(tmp_path), 'train', num_images=4, seed=0,
                                           size=64, max_objects=4)


def test_dataset_generates_on_first_use_and_follows_settings(tmp_path, mmseg_scope):
    ds = _build(tmp_path, split='val', num_images=7, test_mode=True)
    assert len(ds) == 7
    assert ds.metainfo['classes'] == ('background', 'circle', 'square', 'triangle')
    assert len(ds.metainfo['palette']) == 4 and not ds.metainfo['reduce_zero_label']
    item = ds[0]
    seg = item['data_samples'].gt_sem_seg.data
    assert item['inputs'].shape == (3, 64, 64) and seg.shape == (1, 64, 64)
    assert seg.max() > 0 and seg.max() <= 3
    # Fewer images: the split list, not the folder (which still holds 7), decides.
    assert len(_build(tmp_path, split='val', num_images=5)) == 5


def test_ann_file_selects_a_subset(tmp_path, mmseg_scope):
    _build(tmp_path, split='train', num_images=6)
    subset = tmp_path / 'subset.txt'
    subset.write_text('train_00004\ntrain_00001\n')
    ds = _build(tmp_path, split='train', num_images=6, ann_file=str(subset))
    assert [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))] == [
        'train_00004.png', 'train_00001.png']
    subset.write_text('train_00001\ntrain_00099\n')
    with pytest.raises(FormatError, match='train_00099'):
        _build(tmp_path, split='train', num_images=6, ann_file=str(subset))


def test_cpu_config_builds_and_takes_a_step(tmp_path, mmseg_scope):
    cfg = Config.fromfile(SEM_CONFIG)
    assert cfg.default_scope == 'mmsegsup_seg' and 'mmsegsup' in cfg.custom_imports['imports']
    assert cfg.model.pretrained is None and cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.decode_head.type == 'DepthwiseSeparableASPPHead'
    assert cfg.model.decode_head.num_classes == 4
    model = MODELS.build(cfg.model)
    model.init_weights()
    ds = _build(tmp_path, split='train', num_images=2)
    data = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), True)
    losses = model(**data, mode='loss')
    assert np.isfinite(sum(v.item() for k, v in losses.items() if 'loss' in k))


def _config(tmp_path, tiny: bool) -> str:
    """The CPU config with its data under ``tmp_path``; ``tiny``: 8 images, 4 iterations."""
    data_root = str(tmp_path / 'shapes') + '/'
    loader, dataset, shrink = '', '', ''
    if tiny:
        loader, dataset = 'batch_size=4, ', ', num_images=8'
        shrink = """
train_cfg = dict(max_iters=4, val_interval=4)
default_hooks = dict(checkpoint=dict(interval=4), logger=dict(interval=2))"""
    path = tmp_path / 'semantic.py'
    path.write_text(f"""
_base_ = {SEM_CONFIG!r}
data_root = {data_root!r}
train_dataloader = dict({loader}dataset=dict(data_root=data_root{dataset}))
val_dataloader = dict({loader}dataset=dict(data_root=data_root{dataset}))
test_dataloader = val_dataloader{shrink}
""")
    return str(path)


def _miou(proc) -> float:
    return float(MIOU.findall(proc.stdout + proc.stderr)[-1])


def test_train_then_test_tools(tmp_path):
    cfg = _config(tmp_path, tiny=True)
    work = str(tmp_path / 'work')
    run(['tools/train.py', cfg, '--work-dir', work])
    ckpt = osp.join(work, 'iter_4.pth')
    assert osp.isfile(ckpt)
    out = str(tmp_path / 'preds.pkl')
    proc = run(['tools/test.py', cfg, ckpt, '--work-dir', work, '--out', out])
    assert 0.0 <= _miou(proc) <= 100.0
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 8 and preds[0]['pred_sem_seg']['data'].shape == (1, 64, 64)


@pytest.mark.slow
def test_deeplabv3plus_learns_shapes_from_scratch(tmp_path):
    cfg = _config(tmp_path, tiny=False)
    work = str(tmp_path / 'work')
    train = run(['tools/train.py', cfg, '--work-dir', work], timeout=900)
    miou = _miou(train)
    print(f'DeepLabV3+ shapes CPU: held-out mIoU = {miou:.2f}')
    assert miou >= 80.0  # measured 94.2 (chance, all background: about 20)
    with open(osp.join(work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    test = run(['tools/test.py', cfg, ckpt, '--work-dir', work])
    assert _miou(test) == pytest.approx(miou)
