"""Published RVOS checkpoint folders (``encoder.pt``, ``decoder.pt``, ``args.pkl``) -> mmsegsup.

The layout is imatge-upc/rvos's (utils/utils.py): torch state_dicts, maybe written with torch 1.0's
legacy serialisation and with DataParallel's ``module.`` prefix, and the training arguments as a
pickled ``argparse.Namespace`` (read by the allow-list unpickler, nothing run).
"""
import argparse
import os.path as osp
from typing import Dict, Tuple

import torch
from torch import Tensor

from ...utils.errors import DatasetFormatError
from ...utils.safe_pickle import safe_load_namespace

StateDict = Dict[str, Tensor]
DEPTHS = {'resnet34': 34, 'resnet50': 50, 'resnet101': 101}
SKIP_DIMS = {34: [64, 128, 256, 512], 50: [256, 512, 1024, 2048], 101: [256, 512, 1024, 2048]}


class PublishedCheckpointError(DatasetFormatError):
    """A published checkpoint folder that cannot be converted (the message says why)."""


def _load_state_dict(path: str) -> StateDict:
    if not osp.isfile(path):
        raise PublishedCheckpointError(f'{path}: file not found (a published folder holds '
                                       'encoder.pt, decoder.pt and args.pkl)')
    try:
        sd = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear message
        raise PublishedCheckpointError(f'{path}: not a loadable weights-only state_dict '
                                       f'({type(err).__name__}: {err})') from err
    if not isinstance(sd, dict) or not all(isinstance(v, Tensor) for v in sd.values()):
        raise PublishedCheckpointError(f'{path}: expected a state_dict of tensors')
    return dict(sd)


def _strip_module(sd: StateDict) -> StateDict:
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in sd.items()}


def read_published(folder: str) -> Tuple[argparse.Namespace, StateDict, StateDict]:
    """``(args, encoder, decoder)`` of a published folder, ``module.`` prefixes stripped."""
    if not osp.isdir(folder):
        raise PublishedCheckpointError(f'{folder}: not a folder')
    args_path = osp.join(folder, 'args.pkl')
    if not osp.isfile(args_path):
        raise PublishedCheckpointError(f'{args_path}: file not found')
    args = safe_load_namespace(args_path)  # before any tensor file: refuse early
    enc = _strip_module(_load_state_dict(osp.join(folder, 'encoder.pt')))
    dec = _strip_module(_load_state_dict(osp.join(folder, 'decoder.pt')))
    return args, enc, dec


def _kind(folder: str, enc: StateDict, dec: StateDict) -> str:
    if 'sk1.weight' in enc:
        raise PublishedCheckpointError(
            f'{folder}: encoder.pt has sk1.* (the conv1 level): this is an RSIS checkpoint, '
            'convert it with rsis_to_mmsegsup.py')
    if 'clstm_list.0.Gates.weight' not in dec or 'sk2.weight' not in enc:
        raise PublishedCheckpointError(f'{folder}: decoder.pt lacks clstm_list.0.Gates.weight or '
                                       'encoder.pt lacks sk2.weight: not an RVOS checkpoint')
    return 'rvos'


def rvos_model_cfg(args: argparse.Namespace, one_shot: bool) -> dict:
    """The mmsegsup model config that reproduces the published model of ``args``."""
    base = getattr(args, 'base_model', 'resnet101')
    if base not in DEPTHS:
        raise PublishedCheckpointError(f'args.pkl: base_model {base!r} is not one of '
                                       f'{sorted(DEPTHS)}')
    if getattr(args, 'skip_mode', 'concat') != 'concat':
        raise PublishedCheckpointError(f'args.pkl: skip_mode {args.skip_mode!r} is not supported '
                                       '(only concat, the published models\' setting)')
    depth, hid, k = DEPTHS[base], int(getattr(args, 'hidden_size', 128)), int(
        getattr(args, 'kernel_size', 3))
    if getattr(args, 'only_spatial', False):
        recurrence = 'S'
    elif getattr(args, 'only_temporal', False):
        recurrence = 'T'
    else:
        recurrence = 'ST'
    return dict(
        type='RVOS',
        data_preprocessor=dict(type='TrackDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                               pad_size_divisor=1, pad_mask=True),
        backbone=dict(type='ResNet', depth=depth, num_stages=4, out_indices=(0, 1, 2, 3),
                      frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                      norm_eval=True, style='pytorch'),
        head=dict(
            type='RVOSHead', in_channels=SKIP_DIMS[depth],
            decoder=dict(type='RecurrentMaskDecoder',
                         hidden_channels=(hid, hid // 2, hid // 4, hid // 8),
                         skip_channels=(hid, hid, hid // 2, hid // 4), use_levels=(0, 1, 2, 3),
                         kernel_size=k, proj_kernel_size=k, proj_norm=True, align_corners=True,
                         final_upsample=True, mask_kernel_size=k, extra_input_mode='maxpool',
                         pooling=('max', )),
            recurrence=recurrence, one_shot=one_shot,
            num_slots=int(getattr(args, 'maxseqlen', 10)), protocol='original',
            test_cfg=dict(mask_thr=0.5)))


def map_rvos_keys(enc: StateDict, dec: StateDict) -> StateDict:
    """Original keys -> mmsegsup keys; ``base.fc.*`` and the stale ``fc_stop`` are dropped."""
    out: StateDict = {}
    for key, val in enc.items():
        if key.startswith('base.fc.'):
            continue
        if key.startswith('base.'):
            out['backbone.' + key[len('base.'):]] = val
        elif key[:2] in ('sk', 'bn') and key[2:3].isdigit():
            idx = 5 - int(key[2])  # sk5 / bn5 feed the coarsest level 0
            out[f'head.decoder.projections.{idx}.{0 if key[:2] == "sk" else 1}.'
                f'{key.split(".", 1)[1]}'] = val
        else:
            out['encoder.' + key] = val  # unknown: reported by the shape check
    for key, val in dec.items():
        if 'fc_stop' in key:
            continue
        if key.startswith('clstm_list.'):
            _, lvl, rest = key.split('.', 2)
            out[f'head.decoder.cells.{lvl}.' + rest.replace('Gates.', 'gates.')] = val
        elif key.startswith('conv_out.'):
            out['head.decoder.conv_mask.' + key[len('conv_out.'):]] = val
        else:
            out['decoder.' + key] = val
    return out


def _check(folder: str, mapped: StateDict, expected: Dict[str, torch.Size]) -> None:
    unknown = sorted(set(mapped) - set(expected))
    missing = sorted(set(expected) - set(mapped))
    if unknown:
        raise PublishedCheckpointError(f'{folder}: unexpected key(s) {unknown[:5]} (mmsegsup '
                                       'names) for the model that args.pkl describes')
    if missing:
        raise PublishedCheckpointError(f'{folder}: missing key(s) {missing[:5]} (mmsegsup names)')
    for key, shape in expected.items():
        if tuple(mapped[key].shape) != tuple(shape):
            raise PublishedCheckpointError(
                f'{folder}: {key} has shape {tuple(mapped[key].shape)}, expected {tuple(shape)} '
                'for the model that args.pkl describes')


def convert_rvos(folder: str) -> Tuple[dict, StateDict]:
    """``(model_cfg, state_dict)`` of a published RVOS folder, checked against the built model."""
    from mmengine.registry import DefaultScope

    from mmsegsup.registry import MODELS
    args, enc, dec = read_published(folder)
    _kind(folder, enc, dec)
    hid = int(getattr(args, 'hidden_size', 128))
    gate_in = dec['clstm_list.0.Gates.weight'].shape[1]
    one_shot = gate_in == 3 * hid + 1  # skip + mask + spatial h + temporal h
    cfg = rvos_model_cfg(args, one_shot)
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        model = MODELS.build(cfg)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    mapped = map_rvos_keys(enc, dec)
    _check(folder, mapped, expected)
    return cfg, {k: v.float() if v.is_floating_point() else v for k, v in mapped.items()}
