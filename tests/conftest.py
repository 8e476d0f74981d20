"""Shared fixtures: the repository root and a seeded torch.

No process-wide default scope is set: tests build through ``mmsegsup.registry`` (whose
children find mmdet's / mmseg's modules through their parents) or inside a scope they open.
"""
import os.path as osp

import pytest
import torch

import mmsegsup  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


@pytest.fixture
def repo_root() -> str:
    return REPO
