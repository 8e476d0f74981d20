"""tools/train.py, tools/test.py, resume and 2-process DDP, driven as a user would."""
import os.path as osp
import pickle

import pytest
import torch

from tools_utils import free_port, run, tiny_config


def _weights(path):
    return torch.load(path, map_location='cpu')['state_dict']  # weights_only=True (default)


def _assert_same_weights(a, b, atol=0.0):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.allclose(a[k].float(), b[k].float(), atol=atol, rtol=0), k


@pytest.mark.slow  # an end-to-end tool run (15-40 s): kept out of the 5-min fast suite
def test_train_then_test_then_demo(tmp_path):
    cfg = tiny_config(tmp_path, max_iters=4)
    work = str(tmp_path / 'work')
    # The README's path, as real processes: train, test, demo (the other tool tests run the
    # tools' main(argv) in-process).
    run(['tools/train.py', cfg, '--work-dir', work], subprocess=True)
    ckpt = osp.join(work, 'iter_4.pth')
    assert osp.isfile(ckpt)
    out = str(tmp_path / 'preds.pkl')
    proc = run(['tools/test.py', cfg, ckpt, '--work-dir', work, '--out', out,
                '--show-dir', 'vis'], subprocess=True)
    assert 'coco/segm_mAP_50' in proc.stdout + proc.stderr
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 8 and 'pred_instances' in preds[0]
    demo_dir = str(tmp_path / 'demo')
    run(['tools/demo/image_demo.py', str(tmp_path / 'shapes/images/val'), cfg, ckpt,
         '--out-dir', demo_dir], subprocess=True)
    assert len([f for f in __import__('os').listdir(demo_dir) if f.endswith('.png')]) == 8


@pytest.mark.slow  # an end-to-end tool run (15-40 s): kept out of the 5-min fast suite
def test_resume_gives_same_weights_as_uninterrupted(tmp_path):
    cfg = tiny_config(tmp_path, max_iters=8)
    full, cut = str(tmp_path / 'full'), str(tmp_path / 'cut')
    run(['tools/train.py', cfg, '--work-dir', full])
    # "Interrupted" after the checkpoint at iteration 4, then resumed from the work dir.
    run(['tools/train.py', cfg, '--work-dir', cut, '--cfg-options', 'train_cfg.max_iters=4'])
    proc = run(['tools/train.py', cfg, '--work-dir', cut, '--resume'])
    assert 'resumed' in (proc.stdout + proc.stderr).lower()
    _assert_same_weights(_weights(osp.join(full, 'iter_8.pth')),
                         _weights(osp.join(cut, 'iter_8.pth')))


@pytest.mark.slow  # an end-to-end tool run (15-40 s): kept out of the 5-min fast suite
def test_ddp_two_cpu_processes_match_one_process(tmp_path):
    # Same global batch (4 images) as 1 x 4 or 2 x 2; no random flip, no shuffling, no batch
    # statistics, SGD (Adam's first step would amplify float rounding of near-zero grads).
    extra = """
model = dict(backbone=dict(norm_eval=True))
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=2))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.05, momentum=0.9))
"""
    cfg = tiny_config(tmp_path, max_iters=4, train_loader='sampler=dict(shuffle=False),',
                      extra=extra, plain_pipeline=True)
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    run(['tools/train.py', cfg, '--work-dir', one])
    run(['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
         str(free_port()), 'tools/train.py', cfg, '--work-dir', two, '--launcher', 'pytorch',
         '--cfg-options', 'train_dataloader.batch_size=2'])
    a, b = _weights(osp.join(one, 'iter_4.pth')), _weights(osp.join(two, 'iter_4.pth'))
    _assert_same_weights(a, b, atol=1e-5)
    earlier = _weights(osp.join(one, 'iter_2.pth'))
    assert any(not torch.allclose(a[k], earlier[k]) for k in a), 'training did not move weights'
