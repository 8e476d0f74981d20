"""tools/demo/image_demo.py draws readable pictures: enlarged small images, the ground truth
beside the prediction when given (the quickstart's held-out shapes), the prediction alone
otherwise."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch

from tools_utils import CPU_CONFIG, run


@pytest.fixture(scope='module')
def random_rsis(tmp_path_factory) -> dict:
    """Two held-out synthetic shapes images with their COCO file, and a randomly initialised
    CPU RSIS saved as a checkpoint that names the shapes classes."""
    from mmengine.config import Config

    from mmsegsup.registry import DATASETS, MODELS
    root = tmp_path_factory.mktemp('demo')
    data = str(root / 'shapes') + '/'
    meta = DATASETS.build(dict(type='ShapesInstanceDataset', data_root=data, split='val',
                               num_images=2, test_mode=True, pipeline=[])).metainfo
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CPU_CONFIG).model)
    ckpt = str(root / 'random.pth')
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': dict(classes=list(meta['classes']),
                                              palette=[list(c) for c in meta['palette']])}},
               ckpt)
    return dict(images=data + 'images/val', ann=data + 'annotations/instances_val.json',
                ckpt=ckpt)


def _panel_widths(png: str) -> list:
    """Widths of the picture's panels: runs of columns not white across its middle rows."""
    img = mmcv.imread(png)
    mid = img.shape[0] // 2
    blank = (img[mid - 8:mid + 8] >= 250).all(axis=(0, 2))
    widths, run_len = [], 0
    for is_blank in list(blank) + [True]:
        if not is_blank:
            run_len += 1
        elif run_len:
            widths.append(run_len)
            run_len = 0
    return widths


def test_ground_truth_beside_prediction_enlarged(tmp_path, random_rsis):
    out = str(tmp_path / 'gt')
    run(['tools/demo/image_demo.py', random_rsis['images'], CPU_CONFIG, random_rsis['ckpt'],
         '--out-dir', out, '--gt-ann', random_rsis['ann'], '--score-thr', '0'])
    png = osp.join(out, 'val_00000.png')
    h, w = mmcv.imread(png).shape[:2]
    assert h >= 256 and w >= 2 * 256  # 64x64 drawn 4x (auto), two panels
    assert _panel_widths(png)[:2] == [256, 256]
    assert osp.isfile(osp.join(out, 'val_00001.png'))


def test_prediction_alone_without_ground_truth(tmp_path, random_rsis):
    out = str(tmp_path / 'pred')
    image = osp.join(random_rsis['images'], 'val_00001.png')
    run(['tools/demo/image_demo.py', image, CPU_CONFIG, random_rsis['ckpt'], '--out-dir', out,
         '--scale', '5', '--score-thr', '0'])
    png = osp.join(out, 'val_00001.png')
    h, w = mmcv.imread(png).shape[:2]
    assert 320 <= h and 320 <= w < 2 * 320
    assert _panel_widths(png) == [320]


def test_bad_scale_and_unknown_image_are_refused(tmp_path, random_rsis):
    proc = run(['tools/demo/image_demo.py', random_rsis['images'], CPU_CONFIG,
                random_rsis['ckpt'], '--scale', '0'], check=False)
    assert proc.returncode != 0 and 'positive integer' in proc.stderr
    other = tmp_path / 'other.png'
    mmcv.imwrite(np.zeros((8, 8, 3), np.uint8), str(other))
    proc = run(['tools/demo/image_demo.py', str(other), CPU_CONFIG, random_rsis['ckpt'],
                '--out-dir', str(tmp_path / 'o'), '--gt-ann', random_rsis['ann']],
               check=False)
    assert proc.returncode != 0 and 'no image named other.png' in proc.stderr
