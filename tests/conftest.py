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
