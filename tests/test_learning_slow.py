"""End-to-end learning: the CPU shapes config trains from random init to real mask AP."""
import os.path as osp
import re

import pytest

from tools_utils import CPU_CONFIG, run

AP50 = re.compile(r'coco/segm_mAP_50: ([0-9.]+)')


@pytest.mark.slow
def test_rsis_learns_shapes_from_scratch(tmp_path):
    data_root = str(tmp_path / 'shapes') + '/'
    cfg = tmp_path / 'shapes_cpu.py'
    cfg.write_text(f"""
_base_ = {CPU_CONFIG!r}
data_root = {data_root!r}
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
""")
    work = str(tmp_path / 'work')
    train = run(['tools/train.py', str(cfg), '--work-dir', work], timeout=900)
    ap50_train = float(AP50.findall(train.stdout + train.stderr)[-1])
    print(f'RSIS shapes CPU: held-out mask AP50 = {ap50_train:.3f}')
    assert ap50_train >= 0.5
    # The saved checkpoint reproduces the number through tools/test.py.
    with open(osp.join(work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    test = run(['tools/test.py', str(cfg), ckpt, '--work-dir', work])
    assert float(AP50.findall(test.stdout + test.stderr)[-1]) == pytest.approx(ap50_train)
