"""Shared fixtures: the repository root and a seeded torch.

No process-wide default scope is set: tests build through ``mmsegsup.registry`` (whose
children find mmdet's / mmseg's modules through their parents) or inside a scope they open.
Under pytest-xdist each worker gets its share of the cores (torch threads and the
``OMP_NUM_THREADS`` that tool subprocesses inherit).
"""
import os
import os.path as osp

import pytest
import torch

import mmsegsup  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

if int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1')) > 1:
    _workers = int(os.environ['PYTEST_XDIST_WORKER_COUNT'])
    _threads = max(1, len(os.sched_getaffinity(0)) // _workers)
    torch.set_num_threads(_threads)
    os.environ['OMP_NUM_THREADS'] = str(_threads)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


@pytest.fixture
def repo_root() -> str:
    return REPO


@pytest.fixture(scope='session')
def rsis_shapes(tmp_path_factory) -> dict:
    """The RSIS CPU config trained once through tools/train.py on the full synthetic shapes
    (``tools_utils.RSIS_SHAPES``: 1000 training images, 100 held out): the learning test checks its
    AP50, the W-RSIS comparison and the +IL / +IL+C ablations reuse its checkpoint. Tests that
    take it carry ``xdist_group('rsis_shapes')``, so that one worker trains it once."""
    from tools_utils import AP50, CPU_CONFIG, RSIS_SHAPES, run, shapes_config, write_config
    root = tmp_path_factory.mktemp('rsis_shapes')
    cfg = shapes_config(root, CPU_CONFIG, **RSIS_SHAPES)
    config = write_config(cfg, root / 'rsis.py')
    work = str(root / 'work')
    proc = run(['tools/train.py', config, '--work-dir', work], timeout=900)
    with open(osp.join(work, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    return dict(root=root, config=config, work=work, checkpoint=checkpoint,
                ap50=float(AP50.findall(proc.stdout + proc.stderr)[-1]))


def _slow_minutes(item: pytest.Item) -> float:
    marker = item.get_closest_marker('slow')
    return float(marker.kwargs.get('minutes', 0)) if marker is not None else 0.0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Longest first: slow tests that declare ``slow(minutes=N)`` run before the others, in
    decreasing N (stable otherwise), so that xdist does not start the longest run last and
    leave one worker idle meanwhile.

    Under ``--dist loadgroup`` xdist tags each ``xdist_group`` test's node id with its
    group; if it did not (pytest 9 with xdist 3.8), groups would split over the workers and
    every shared fixture would be built on each of them: fail loudly instead."""
    items.sort(key=lambda item: -_slow_minutes(item))
    if not getattr(config.option, 'loadgroup', False):
        return
    for item in items:
        if item.get_closest_marker('xdist_group') and '@' not in item.nodeid:
            raise pytest.UsageError(
                f'{item.nodeid}: pytest-xdist did not apply its xdist_group; install the '
                'pinned pytest (requirements/constraints.txt)')
