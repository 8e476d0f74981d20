"""RVOS through tools/train.py and tools/test.py; the slow test measures learning (J&F)."""
import os
import os.path as osp
import re

import numpy as np
import pytest
from PIL import Image
from mmengine.config import Config

from tools_utils import REPO, run

RVOS_CONFIG = osp.join(REPO, 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py')
JF = re.compile(r'davis/J&F-Mean: ([0-9.]+)')


def _config(tmp_path, body: str = '') -> str:
    root = str(tmp_path / 'videos') + '/'
    path = tmp_path / 'rvos.py'
    path.write_text(f"""
_base_ = {RVOS_CONFIG!r}
data_root = {root!r}
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(davis_root=data_root)
test_evaluator = val_evaluator
{body}
""")
    return str(path)


@pytest.mark.slow  # an end-to-end tool run (15-40 s): kept out of the 5-min fast suite
def test_rvos_train_test_and_submission_pngs(tmp_path):
    cfg = _config(tmp_path, """
train_dataloader.update(batch_size=2, dataset=dict(data_root=data_root, num_videos=4))
val_dataloader = dict(dataset=dict(data_root=data_root, num_videos=2))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=4)
custom_hooks = [dict(type='PrevMaskCurriculumHook', switch_iter=2)]
""")
    work = str(tmp_path / 'work')
    proc = run(['tools/train.py', cfg, '--work-dir', work])
    assert JF.search(proc.stdout + proc.stderr)
    out_dir = str(tmp_path / 'submission')
    proc = run(['tools/test.py', cfg, osp.join(work, 'iter_4.pth'), '--work-dir', work,
                '--cfg-options', f'test_evaluator.outfile_dir={out_dir}'])
    jf = float(JF.findall(proc.stdout + proc.stderr)[-1])
    assert 0.0 <= jf <= 1.0
    seqs = sorted(os.listdir(out_dir))
    assert seqs == ['shapes-val-000', 'shapes-val-001']
    assert len(os.listdir(osp.join(out_dir, seqs[0]))) == 12
    # The standalone evaluator scores the same folder with the same number.
    proc = run(['tools/eval_davis.py', '--davis-root', str(tmp_path / 'videos'), '--results',
                out_dir, '--split', 'val'])
    lines = proc.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ['J&F-Mean'])
    assert float(lines[header + 1].split()[0]) == pytest.approx(jf, abs=6e-4)
    # The video demo on a folder of frames, one-shot from the first-frame annotation.
    seq = 'shapes-val-001'
    demo = tmp_path / 'demo'
    run(['tools/demo/video_demo.py', str(tmp_path / 'videos/JPEGImages/480p' / seq), cfg,
         osp.join(work, 'iter_4.pth'), '--first-mask',
         str(tmp_path / 'videos/Annotations/480p' / seq / '00000.png'), '--out-dir', str(demo)],
        subprocess=True)
    assert len(os.listdir(demo / 'masks')) == 12 and len(os.listdir(demo / 'overlays')) == 12
    assert (demo / 'overlay.mp4').stat().st_size > 0
    first = np.array(Image.open(demo / 'masks' / '00000.png'))
    given = np.array(Image.open(tmp_path / 'videos/Annotations/480p' / seq / '00000.png'))
    assert np.array_equal(first, given)


@pytest.mark.slow
def test_rvos_one_shot_learns_synthetic_videos(tmp_path):
    cfg = _config(tmp_path)
    proc = run(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'work')], timeout=900)
    jf = float(JF.findall(proc.stdout + proc.stderr)[-1])
    print(f'RVOS-ST one-shot synthetic videos: J&F-Mean = {jf:.3f}')
    assert jf >= 0.70


def test_zero_shot_rvos_trains_and_scores_unsupervised(tmp_path):
    zero = osp.join(REPO, 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_zeroshot_cpu.py')
    root = str(tmp_path / 'videos') + '/'
    cfg = tmp_path / 'zero.py'
    cfg.write_text(f"""
_base_ = {zero!r}
data_root = {root!r}
train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root, num_videos=4))
val_dataloader = dict(dataset=dict(data_root=data_root, num_videos=2))
test_dataloader = val_dataloader
val_evaluator = dict(davis_root=data_root)
test_evaluator = val_evaluator
train_cfg = dict(max_iters=2, val_interval=2)
""")
    work = str(tmp_path / 'work')
    proc = run(['tools/train.py', str(cfg), '--work-dir', work])
    assert 0.0 <= float(JF.findall(proc.stdout + proc.stderr)[-1]) <= 1.0
    assert (tmp_path / 'videos' / 'Annotations_unsupervised').is_dir()
    demo = tmp_path / 'demo'
    run(['tools/demo/video_demo.py', str(tmp_path / 'videos/JPEGImages/480p/shapes-val-000'),
         str(cfg), osp.join(work, 'iter_2.pth'), '--out-dir', str(demo), '--gif'])
    assert (demo / 'overlay.gif').stat().st_size > 0 and len(os.listdir(demo / 'masks')) == 12


@pytest.mark.slow(minutes=17)
def test_rvos_zero_shot_learns_synthetic_videos(tmp_path):
    zero = osp.join(REPO, 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_zeroshot_cpu.py')
    cfg = _config(tmp_path).replace('.py', '_zero.py')
    with open(_config(tmp_path)) as f:
        text = f.read().replace(repr(RVOS_CONFIG), repr(zero))
    with open(cfg, 'w') as f:
        f.write(text)
    proc = run(['tools/train.py', cfg, '--work-dir', str(tmp_path / 'work')], timeout=900)
    jf = float(JF.findall(proc.stdout + proc.stderr)[-1])
    print(f'RVOS-ST zero-shot synthetic videos (DAVIS unsupervised): J&F-Mean = {jf:.3f}')
    assert jf >= 0.50
    # The thesis protocol: first-frame masks pick the slots, scored as semi-supervised.
    last = Config.fromfile(zero).train_cfg.max_iters
    proc = run(['tools/test.py', cfg, str(tmp_path / 'work' / f'iter_{last}.pth'), '--work-dir',
                str(tmp_path / 'work'), '--cfg-options',
                'model.head.test_cfg.slot_assignment=first_frame',
                'test_evaluator.task=semi-supervised'])
    thesis = float(JF.findall(proc.stdout + proc.stderr)[-1])
    print(f'RVOS-ST zero-shot synthetic videos (thesis protocol): J&F-Mean = {thesis:.3f}')
    assert thesis >= 0.50
