"""The weight rule of ../shared/original_refs/README.md and the RefVOS fixtures (issue 14)."""
import json
import os.path as osp
import zlib
from collections import OrderedDict
from typing import Dict, List

import numpy as np
import torch

REFS = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'original_refs', 'refvos')
CASES = ('refvos_r101_refcoco', 'refvos_r101_nonsquare')


def rule_tensor(key: str, shape: List[int]) -> torch.Tensor:
    """The tensor the original code filled for ``key`` (seeded by the key's crc32)."""
    if key.endswith('num_batches_tracked'):
        return torch.tensor(0, dtype=torch.int64)
    z = np.random.default_rng(zlib.crc32(key.encode('utf-8'))).standard_normal(shape)
    if key.endswith('running_mean'):
        v = 0.1 * z
    elif key.endswith('running_var'):
        v = 1 + 0.1 * np.abs(z)
    elif len(shape) == 1 and key.endswith('weight'):
        v = 1 + 0.1 * z
    elif key.endswith('bias'):
        v = 0.1 * z
    else:
        v = z / np.sqrt(np.prod(shape[1:]))
    return torch.from_numpy(v.astype(np.float32))


def rule_state_dict(shapes: Dict[str, List[int]]) -> 'OrderedDict[str, torch.Tensor]':
    return OrderedDict((k, rule_tensor(k, s)) for k, s in shapes.items())


def load_case(case: str):
    """``(json dict, npz arrays)`` of a fixture."""
    with open(osp.join(REFS, f'{case}.json')) as f:
        meta = json.load(f)
    return meta, dict(np.load(osp.join(REFS, f'{case}.npz')))
