"""Pseudo-labelling throughput table (run by hand; results go to benchmarks/README.md).

    .venv/bin/python benchmarks/bench_pseudo_label.py [--images 8] [--size 256]

Rows: images/s of ``mmsegsup.basis.pseudo_label`` (model forward + writing the outputs
atomically, one image per forward as in the DDP-identical mode) for RSIS ResNet-101 (COCO
shards + merge) and mmseg's DeepLabV3+ ResNet-101 (PNG label maps), random init, on random
images of ``--size`` pixels, both run in this one process.
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DATASETS, MODELS, DefaultScope

import mmsegsup  # noqa: F401
from mmsegsup.basis import pseudo_label
from mmsegsup.utils.io import imwrite_atomic, write_text_atomic


def make_images(root: str, num: int, size: int) -> str:
    """Random images plus an images-only COCO file and a name list."""
    rng = np.random.default_rng(0)
    names = []
    for i in range(num):
        name = f'{i:04d}'
        imwrite_atomic(rng.integers(0, 255, (size, size, 3), np.uint8),
                       osp.join(root, 'img', name + '.jpg'))
        names.append(name)
    import json
    coco = dict(images=[dict(id=i, file_name=n + '.jpg', height=size, width=size)
                        for i, n in enumerate(names)], annotations=[],
                categories=[dict(id=i + 1, name=f'c{i}') for i in range(20)])
    write_text_atomic(json.dumps(coco), osp.join(root, 'pool.json'))
    write_text_atomic(''.join(n + '\n' for n in names), osp.join(root, 'pool.txt'))
    return root


def rsis(root: str, size: int):
    cfg = Config.fromfile('configs/rsis/rsis_r101_voc-sbd_256x256.py')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        dataset = DATASETS.build(dict(
            type='CocoDataset', data_root=root, ann_file='pool.json',
            data_prefix=dict(img='img/'), test_mode=True,
            metainfo=dict(classes=tuple(f'c{i}' for i in range(20))),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='Resize', scale=(size, size), keep_ratio=True),
                      dict(type='PackDetInputs')]))
    return model, dataset, 'instance'


def deeplab(root: str, size: int):
    model_cfg = Config.fromfile('configs/basis/deeplabv3plus_r101_voc12aug-512x512.py').model
    bn = dict(type='BN', requires_grad=True)  # SyncBN needs a process group
    model_cfg.backbone.norm_cfg = bn
    for head in ('decode_head', 'auxiliary_head'):
        model_cfg[head].norm_cfg = bn
    model_cfg.pretrained = None
    model_cfg.data_preprocessor.size = (size, size)
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = MODELS.build(model_cfg)
        model.init_weights()
        dataset = DATASETS.build(dict(
            type='BaseSegDataset', data_root=root, ann_file='pool.txt',
            data_prefix=dict(img_path='img/', seg_map_path='img/'), img_suffix='.jpg',
            test_mode=True, metainfo=dict(classes=tuple(f'c{i}' for i in range(21))),
            pipeline=[dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]))
    return model, dataset, 'semantic'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=8)
    parser.add_argument('--size', type=int, default=256)
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_images(tmp, args.images, args.size)
        print(f'| annotation network ({args.size}x{args.size}, torch threads '
              f'{torch.get_num_threads()}) | images/s | ms/image |')
        print('|---|---|---|')
        for name, build in (('RSIS R101 (10 steps), COCO json', rsis),
                            ('DeepLabV3+ R101, PNG label maps', deeplab)):
            model, dataset, task = build(root, args.size)
            scope = 'mmsegsup' if task == 'instance' else 'mmsegsup_seg'
            with DefaultScope.overwrite_default_scope(scope):
                pseudo_label(model, dataset, osp.join(tmp, f'warm_{task}'), task=task,
                             progress=False)  # warm-up run
                start = time.perf_counter()
                pseudo_label(model, dataset, osp.join(tmp, task), task=task, progress=False)
            sec = (time.perf_counter() - start) / len(dataset)
            print(f'| {name} | {1 / sec:.2f} | {1000 * sec:.0f} |')


if __name__ == '__main__':
    main()
