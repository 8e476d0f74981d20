"""Shared fixtures: the repository root and a seeded torch."""
import os.path as osp

import pytest
import torch
from mmdet.utils import register_all_modules

import mmsegsup  # noqa: F401

# Instance-segmentation parts live in mmdet's scope; RefVOS tests switch to mmseg themselves.
register_all_modules(init_default_scope=True)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


@pytest.fixture
def repo_root() -> str:
    return REPO
