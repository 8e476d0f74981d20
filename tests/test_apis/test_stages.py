"""mmsegsup.apis.stages: the stage driver of BASIS / active learning reads what the tools write
(the last checkpoint, the test metrics json), skips finished stages and names bad settings."""
import json
import os
import os.path as osp
import time

import pytest

from mmsegsup.apis.stages import StagedRun, find_config, read_test_metric
from tools_utils import REPO, tiny_config


def _metrics_file(work, stamp: str, metrics: dict, age: float = 0.0) -> str:
    path = osp.join(str(work), stamp, f'{stamp}.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(metrics, f)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_read_test_metric_takes_the_newest_run_and_names_the_keys(tmp_path):
    _metrics_file(tmp_path, '20240101_000000', {'coco/segm_mAP_50': 0.1}, age=100)
    _metrics_file(tmp_path, '20240101_000100', {'coco/segm_mAP_50': 0.25, 'time': 1.0})
    # a file of the visualiser's backend is not a test run's
    _metrics_file(tmp_path / '20240101_000100', 'vis_data', {'coco/segm_mAP_50': 9.0})
    assert read_test_metric(str(tmp_path), 'coco/segm_mAP_50') == 0.25
    with pytest.raises(KeyError, match=r"no 'mIoU': set the metric to one of coco/segm_mAP_50"):
        read_test_metric(str(tmp_path), 'mIoU')
    with pytest.raises(FileNotFoundError, match='LoggerHook'):
        read_test_metric(str(tmp_path), 'coco/segm_mAP_50', since=time.time() + 60)


def test_find_config_tries_the_repository_then_the_owner(tmp_path):
    owner = tmp_path / 'loop.py'
    (tmp_path / 'local.py').write_text('x = 1\n')
    assert find_config('configs/_base_/default_runtime.py', str(owner), 'k') == osp.join(
        REPO, 'configs/_base_/default_runtime.py')
    assert find_config('local.py', str(owner), 'k') == str(tmp_path / 'local.py')
    with pytest.raises(FileNotFoundError, match=r'loop.py: k config nope.py not found'):
        find_config('nope.py', str(owner), 'k')


class _Run(StagedRun):
    tag = 'probe'
    tool_process = False  # the tools' main(argv) in this process

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir
        self.messages = []
        self.log = self.messages.append


def test_train_and_test_stages_read_the_files_the_tools_write(tmp_path):
    run = _Run(str(tmp_path / 'run'))
    cfg = tiny_config(tmp_path, max_iters=2)
    model = run.stage('train', lambda: run.train_tool(cfg, str(tmp_path / 'run' / 'train')))
    assert model == dict(config=cfg, checkpoint=str(tmp_path / 'run' / 'train' / 'iter_2.pth'))
    work = str(tmp_path / 'run' / 'test')
    score = run.stage('test', lambda: dict(score=run.test_tool(model, work,
                                                               'coco/segm_mAP_50')))['score']
    stamp = [d for d in os.listdir(work) if osp.isdir(osp.join(work, d))][-1]
    with open(osp.join(work, stamp, f'{stamp}.json')) as f:
        assert score == json.load(f)['coco/segm_mAP_50'] and 0.0 <= score <= 1.0
    # rerun: both stages come from their markers
    assert run.stage('train', lambda: 1 / 0) == model
    assert run.stage('test', lambda: 1 / 0) == dict(score=score)
    assert run.messages[-2:] == ['[probe] train: done before, skipped',
                                 '[probe] test: done before, skipped']
    with pytest.raises(RuntimeError, match='mmsegsup.cli.test .* failed'):
        run.test_tool(dict(model, checkpoint=str(tmp_path / 'missing.pth')), work, 'x')
