"""Tiny active-learning loop configs for the tests of the loop and of its executors."""
import os.path as osp

from tools_utils import REPO

LOOP_CPU = osp.join(REPO, 'configs/active_learning/al_iou-wrsis_shapes-64x64_cpu.py')


def loop_config(tmp_path, body: str) -> str:
    """``tmp_path/loop.py``: the CPU loop config with ``body`` appended."""
    path = tmp_path / 'loop.py'
    path.write_text(f'_base_ = [{LOOP_CPU!r}]\n{body}\n')
    return str(path)


def tiny_loop(tmp_path, strategies: str, rounds: int = 2, labels: str = 'ground_truth',
              iters: int = 6, tool_process: bool = False, extra: str = '') -> str:
    """A loop of seconds per training (40 shapes images, N0 = 10, N' = 5, seed 0) on data
    under ``tmp_path/shapes``; ``extra`` is more config text (e.g. an ``executor`` update)."""
    root = str(tmp_path / 'shapes') + '/'
    val = root + 'annotations/instances_val.json'
    return loop_config(tmp_path, f"""
active_learning = dict(
    annotator_options={{
        'train_dataloader.dataset.num_images': 40,
        'train_dataloader.dataset.data_root': {root!r},
        'val_dataloader.dataset.data_root': {root!r},
        'val_dataloader.dataset.num_images': 8,
        'test_dataloader.dataset.data_root': {root!r},
        'test_dataloader.dataset.num_images': 8,
        'val_evaluator.ann_file': {val!r},
        'test_evaluator.ann_file': {val!r},
        'val_dataloader.dataset.pipeline.3.ann_file': {val!r},
        'test_dataloader.dataset.pipeline.3.ann_file': {val!r},
        'train_cfg.max_iters': {iters},
        'custom_hooks': [dict(type='FreezeSegmentationHook', freeze_iter={iters * 2 // 3})],
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 2,
    }},
    num_initial=10, num_per_round=5, rounds={rounds}, labels={labels!r},
    strategies={strategies}, seeds=[0], tool_process={tool_process})
{extra}""")


def human_round(tmp_path, extra: str = ''):
    """Run a tiny ``labels='human'`` loop (one round, beta 0.4) from the CLI until it waits
    for labels; returns ``(config, work folder, the round's folder, the CLI's output)``."""
    from tools_utils import run
    cfg = tiny_loop(tmp_path, "[dict(type='ClosestToBeta', beta=0.4)]", rounds=1,
                    labels='human', iters=4, extra=extra)
    work = tmp_path / 'work'
    out = run(['tools/active_learning.py', cfg, '--work-dir', str(work)], timeout=600)
    assert 'waiting for labels' in out.stdout
    return cfg, work, work / 'seed0' / 'beta0.4' / 'n5_round1', out
