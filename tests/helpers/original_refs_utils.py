"""Published-layout folders filled with the weight rule of ../shared/original_refs/README.md."""
import argparse
import json
import os
import os.path as osp
import pickle
import zlib
from typing import Dict, List

import numpy as np
import torch

REFS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'original_refs')


def rule_tensor(key: str, shape: List[int]) -> torch.Tensor:
    """The tensor the original code and the tests both fill for ``key`` (the weight rule)."""
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
    return torch.from_numpy(np.asarray(v, dtype=np.float32))


def rule_state_dict(shapes: Dict[str, List[int]], prefix: str = '') -> Dict[str, torch.Tensor]:
    return {prefix + k: rule_tensor(k, s) for k, s in shapes.items()}


def load_case(system: str, case: str):
    """``(json dict, npz)`` of a fixture."""
    with open(osp.join(REFS, system, case + '.json')) as f:
        meta = json.load(f)
    return meta, np.load(osp.join(REFS, system, case + '.npz'))


def write_published(folder: str, meta: dict, module_prefix: bool = False, legacy: bool = False,
                    pickle_protocol: int = pickle.HIGHEST_PROTOCOL) -> str:
    """A published folder (``encoder.pt``, ``decoder.pt``, ``args.pkl``) for a fixture."""
    os.makedirs(folder, exist_ok=True)
    prefix = 'module.' if module_prefix else ''
    kw = dict(_use_new_zipfile_serialization=False) if legacy else {}
    torch.save(rule_state_dict(meta['encoder_state_dict'], prefix),
               osp.join(folder, 'encoder.pt'), **kw)
    torch.save(rule_state_dict(meta['decoder_state_dict'], prefix),
               osp.join(folder, 'decoder.pt'), **kw)
    if 'model_args' in meta:  # RSIS: the fields of its args.pkl that shape the model
        args = argparse.Namespace(**meta['model_args'], dataset=meta['other_args']['dataset'],
                                  imsize=meta['other_args']['imsize'])
    else:
        variant = meta.get('variant', 'ST')
        args = argparse.Namespace(
            base_model=meta['base_model'], hidden_size=meta['hidden_size'],
            kernel_size=meta['kernel_size'], skip_mode=meta['skip_mode'],
            maxseqlen=meta['maxseqlen'], dropout=0.0, only_spatial=variant == 'S',
            only_temporal=variant == 'T')
    with open(osp.join(folder, 'args.pkl'), 'wb') as f:
        pickle.dump(args, f, protocol=pickle_protocol)
    return folder


class _Evil:
    """A pickle whose loading would create ``path``: proof that nothing ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, 'w'))


def write_malicious_args(folder: str, marker: str) -> None:
    """Replace the folder's ``args.pkl`` by one that would create ``marker`` when loaded."""
    with open(osp.join(folder, 'args.pkl'), 'wb') as f:
        pickle.dump(_Evil(marker), f, protocol=0)
