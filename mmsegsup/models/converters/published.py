"""Published RVOS / RSIS folders (``encoder.pt``, ``decoder.pt``, ``args.pkl``) -> mmsegsup.

The layout is imatge-upc/rvos's and imatge-upc/rsis's (utils/utils.py): torch state_dicts, maybe
written with torch 1.0's legacy serialisation and with DataParallel's ``module.`` prefix, and the
training arguments as a pickled ``argparse.Namespace`` (read by the allow-list unpickler, nothing
run). The two families share the reader, the key map, the check against the built model and the
writer of the converted folder; they differ in a few decoder keys and in the config their model
derives from (:data:`RVOS_CONFIG`, :data:`RSIS_CONFIG`), of which the converter changes only
what ``args.pkl`` and the evaluation's command line decide.
"""
import argparse
import copy
import os
import os.path as osp
import re
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ...formats.errors import FormatError
from ...formats.safe_pickle import safe_load_namespace
from ...utils.io import write_text_atomic
from .base_configs import derived_model

StateDict = Dict[str, Tensor]
DEPTHS = {'resnet34': 34, 'resnet50': 50, 'resnet101': 101}
SKIP_DIMS = {34: [64, 128, 256, 512], 50: [256, 512, 1024, 2048], 101: [256, 512, 1024, 2048]}


class PublishedCheckpointError(FormatError):
    """A published checkpoint folder that cannot be converted (the message says why)."""


def failure_reason(err: Exception) -> str:
    """What a weights-only load failed on, without torch's advice to load unsafely."""
    text = str(err)
    if 'WeightsUnpickler error:' in text:
        text = text.split('WeightsUnpickler error:', 1)[1].split('Check the documentation')[0]
    text = ' '.join(text.split())
    return f'{type(err).__name__}: {text[:200]}' if text else type(err).__name__


def load_weights_only(path: str, allowed: Tuple[type, ...] = (),
                      error: type = PublishedCheckpointError) -> Any:
    """``torch.load(weights_only=True)`` with exactly ``allowed`` added to torch's allow-list;
    any failure becomes one ``error`` naming the file (never torch's advice to lift the check)."""
    try:
        with torch.serialization.safe_globals(list(allowed)):
            return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file gets one clear message
        refused = re.search(r'GLOBAL ([\w.]+)', str(err))
        if refused:
            kinds = ', '.join(['tensors', 'plain values'] + [f'{a.__module__}.{a.__qualname__}'
                                                              for a in allowed])
            raise error(
                f'{path}: refused to unpickle the global {refused.group(1)}: this file may '
                f'only hold {kinds}, so it is not a published checkpoint or has been tampered '
                'with (nothing was run)') from err
        raise error(f'{path}: not a readable torch checkpoint ({failure_reason(err)})') from err


def _load_state_dict(path: str) -> StateDict:
    if not osp.isfile(path):
        raise PublishedCheckpointError(f'{path}: file not found (a published folder holds '
                                       'encoder.pt, decoder.pt and args.pkl)')
    sd = load_weights_only(path)
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


CONVERTERS = dict(rvos='rvos_to_mmsegsup.py', rsis='rsis_to_mmsegsup.py',
                  refvos='refvos_to_mmsegsup.py')


def published_kind(folder: str, enc: StateDict, dec: StateDict) -> str:
    """``'rsis'`` (an ``sk1`` conv1 level) or ``'rvos'``, from the keys of a published folder."""
    if 'sk1.weight' in enc:
        return 'rsis'
    if 'clstm_list.0.Gates.weight' not in dec or 'sk2.weight' not in enc:
        raise PublishedCheckpointError(f'{folder}: decoder.pt lacks clstm_list.0.Gates.weight or '
                                       'encoder.pt lacks sk2.weight: not an RVOS / RSIS '
                                       'checkpoint')
    return 'rvos'


def _expect_kind(folder: str, enc: StateDict, dec: StateDict, kind: str) -> None:
    found = published_kind(folder, enc, dec)
    if found != kind:
        why = ('encoder.pt has sk1.* (the conv1 level)' if found == 'rsis' else
               'encoder.pt has no sk1.* (no conv1 level)')
        raise PublishedCheckpointError(f'{folder}: {why}: this is an {found.upper()} checkpoint, '
                                       f'convert it with {CONVERTERS[found]}')


def _base_args(args: argparse.Namespace) -> Tuple[int, int, int]:
    """``(depth, hidden_size, kernel_size)`` of the arguments both families share, checked."""
    base = getattr(args, 'base_model', 'resnet101')
    if base not in DEPTHS:
        raise PublishedCheckpointError(f'args.pkl: base_model {base!r} is not one of '
                                       f'{sorted(DEPTHS)}')
    if getattr(args, 'skip_mode', 'concat') != 'concat':
        raise PublishedCheckpointError(f'args.pkl: skip_mode {args.skip_mode!r} is not supported '
                                       '(only concat, the published models\' setting)')
    k = int(getattr(args, 'kernel_size', 3))
    if k not in (1, 3):
        raise PublishedCheckpointError(f'args.pkl: kernel_size {k} is not supported (the '
                                       'original pads 1 for every k > 1: only 1 and 3 keep sizes)')
    return DEPTHS[base], int(getattr(args, 'hidden_size', 128)), k


# The configs the converted models derive from: RVOS-ST's base model is the original's
# architecture; RSIS's is the thesis config's (its _base_ model is our variant).
RVOS_CONFIG = '_base_/models/rvos-st_r101.py'
RSIS_CONFIG = 'rsis/rsis_r101_voc-sbd_256x256.py'


def _shape_overrides(depth: int, in_channels: List[int], hid: int, k: int) -> Dict[str, Any]:
    """What ``args.pkl`` decides in both families (base, hidden size, kernel; each level halves
    the hidden size, each skip takes the previous level's), and what a converted model is:
    weights from the checkpoint (no ImageNet init), BN statistics the published ones
    (``norm_eval``) even under ``train()``."""
    hidden = tuple(hid // 2**i for i in range(len(in_channels)))
    return {'backbone.depth': depth, 'backbone.norm_eval': True, 'backbone.init_cfg': None,
            'head.in_channels': in_channels, 'head.decoder.hidden_channels': hidden,
            'head.decoder.skip_channels': (hid, ) + hidden[:-1], 'head.decoder.kernel_size': k,
            'head.decoder.proj_kernel_size': k, 'head.decoder.mask_kernel_size': k}


def _steps(args: argparse.Namespace, maxseqlen: Optional[int]) -> int:
    """The evaluation's steps: its command line's ``maxseqlen``, else the training one."""
    return int(maxseqlen if maxseqlen is not None else getattr(args, 'maxseqlen', 10))


def _recurrence(args: argparse.Namespace, one_shot: bool) -> str:
    """``'S'``, ``'T'`` or ``'ST'``; the zero-shot scripts never read only_spatial (train.py,
    eval.py): the temporal states are passed on and used, so such a model is spatio-temporal."""
    if getattr(args, 'only_spatial', False) and one_shot:
        return 'S'
    return 'T' if getattr(args, 'only_temporal', False) else 'ST'


def rvos_model_cfg(args: argparse.Namespace, one_shot: bool,
                   maxseqlen: Optional[int] = None) -> dict:
    """The model of :data:`RVOS_CONFIG` with what the published ``args`` decide.

    ``maxseqlen`` is the evaluation's steps per frame: imatge-upc/rvos's eval scripts take it
    from their own command line (``test.py:16, 73`` read ``args.maxseqlen``, default 10), not
    from ``args.pkl``; None takes the training value of ``args``.
    """
    depth, hid, k = _base_args(args)
    return derived_model(RVOS_CONFIG, {
        **_shape_overrides(depth, SKIP_DIMS[depth], hid, k),
        'head.recurrence': _recurrence(args, one_shot), 'head.one_shot': one_shot,
        'head.num_slots': _steps(args, maxseqlen)})


def rsis_model_cfg(args: argparse.Namespace, maxseqlen: Optional[int] = None,
                   stop_thr: float = 0.5, mask_thr: float = 0.5, min_size: float = 0.001) -> dict:
    """The model of :data:`RSIS_CONFIG` with what the published ``args`` decide, and eval.py's
    thresholds (``stop_th``, ``mask_th``, ``min_size``; defaults of args.py) for its rule.
    ``maxseqlen`` is eval.py's command-line value; None takes the training one from ``args``
    (default 10)."""
    depth, hid, k = _base_args(args)
    drop = {n: getattr(args, n, 0) for n in ('dropout', 'dropout_stop', 'dropout_cls')}
    if any(v and v > 0 for v in drop.values()):
        warnings.warn(f'args.pkl: {drop}: the original applies these dropouts even at test time '
                      '(fresh modules in train mode, model.py:140-178); the converted model does '
                      'not, so its outputs are the dropout-free ones')
    return derived_model(RSIS_CONFIG, {
        **_shape_overrides(depth, [64] + SKIP_DIMS[depth], hid, k),  # conv1's level first
        'head.num_classes': int(getattr(args, 'num_classes', 21)),
        'head.max_steps': _steps(args, maxseqlen), 'test_cfg.stop_thr': stop_thr,
        'test_cfg.mask_thr': mask_thr, 'test_cfg.min_size': min_size})


def _map_keys(enc: StateDict, dec: StateDict, head: str,
              dec_renames: Dict[str, Optional[str]]) -> StateDict:
    """Original keys -> mmsegsup keys under ``head``; ``base.fc.*`` is dropped, and the decoder
    modules of ``dec_renames`` are renamed (``None``: dropped). Unknown keys keep a prefix
    (``encoder.`` / ``decoder.``) so the shape check names them."""
    out: StateDict = {}
    for key, val in enc.items():
        if key.startswith('base.fc.'):
            continue
        if key.startswith('base.'):
            out['backbone.' + key[len('base.'):]] = val
        elif key[:2] in ('sk', 'bn') and key[2:3].isdigit():
            idx = 5 - int(key[2])  # sk5 / bn5 feed the coarsest level 0
            out[f'{head}.decoder.projections.{idx}.{0 if key[:2] == "sk" else 1}.'
                f'{key.split(".", 1)[1]}'] = val
        else:
            out['encoder.' + key] = val
    for key, val in dec.items():
        module, rest = key.split('.', 1) if '.' in key else (key, '')
        if module in dec_renames:
            if dec_renames[module] is not None:
                out[f'{head}.{dec_renames[module]}.{rest}'] = val
        elif module == 'clstm_list':
            lvl, rest = rest.split('.', 1)
            out[f'{head}.decoder.cells.{lvl}.' + rest.replace('Gates.', 'gates.')] = val
        elif module == 'conv_out':
            out[f'{head}.decoder.conv_mask.{rest}'] = val
        else:
            out['decoder.' + key] = val
    return out


def map_rvos_keys(enc: StateDict, dec: StateDict) -> StateDict:
    """RVOS keys -> mmsegsup keys; ``base.fc.*`` and the stale ``fc_stop`` are dropped."""
    return _map_keys(enc, dec, 'head', dict(fc_stop=None))


def map_rsis_keys(enc: StateDict, dec: StateDict) -> StateDict:
    """RSIS keys -> mmsegsup keys (``fc_class`` / ``fc_stop`` are the head's ``fc_cls`` /
    ``fc_stop``); ``base.fc.*`` is dropped."""
    return _map_keys(enc, dec, 'bbox_head', dict(fc_class='fc_cls', fc_stop='fc_stop'))


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


def _checked(folder: str, cfg: dict, mapped: StateDict) -> StateDict:
    """``mapped`` checked key by key and shape by shape against the model ``cfg`` builds."""
    from mmengine.registry import DefaultScope

    from mmsegsup.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        model = MODELS.build(copy.deepcopy(cfg))  # detectors write test_cfg into their cfg
    _check(folder, mapped, {k: v.shape for k, v in model.state_dict().items()})
    return {k: v.float() if v.is_floating_point() else v for k, v in mapped.items()}


def convert_rvos(folder: str, maxseqlen: Optional[int] = None) -> Tuple[dict, StateDict]:
    """``(model_cfg, state_dict)`` of a published RVOS folder, checked against the built model
    (``maxseqlen``: :func:`rvos_model_cfg`'s)."""
    args, enc, dec = read_published(folder)
    _expect_kind(folder, enc, dec, 'rvos')
    hid = int(getattr(args, 'hidden_size', 128))
    gate_in = dec['clstm_list.0.Gates.weight'].shape[1]
    one_shot = gate_in == 3 * hid + 1  # skip + mask + spatial h + temporal h
    cfg = rvos_model_cfg(args, one_shot, maxseqlen)
    return cfg, _checked(folder, cfg, map_rvos_keys(enc, dec))


def convert_rsis(folder: str,
                 **eval_args) -> Tuple[dict, StateDict, argparse.Namespace]:
    """``(model_cfg, state_dict, args)`` of a published RSIS folder, the weights checked against
    the built model; ``args`` (the training arguments: classes, imsize) come back so that
    callers need not read ``args.pkl`` again. ``eval_args`` are :func:`rsis_model_cfg`'s
    (eval.py's command line)."""
    args, enc, dec = read_published(folder)
    _expect_kind(folder, enc, dec, 'rsis')
    cfg = rsis_model_cfg(args, **eval_args)
    return cfg, _checked(folder, cfg, map_rsis_keys(enc, dec)), args


def rsis_classes(args: argparse.Namespace) -> Tuple[str, ...]:
    """The class names of an RSIS model without the original's ``<eos>`` class 0."""
    num = int(getattr(args, 'num_classes', 21)) - 1
    dataset = getattr(args, 'dataset', None)
    if dataset == 'pascal' and num == 20:
        from ...formats.class_names import VOC_CLASSES
        return tuple(VOC_CLASSES)
    if dataset == 'cityscapes' and num == 8:  # dataloader/cityscapes.py:20
        return ('person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle')
    return tuple(f'class_{i}' for i in range(1, num + 1))


def write_converted(out: str, model_cfg: dict, state_dict: StateDict, source: str,
                    converter: str, classes: Sequence[str], **cfg_parts) -> None:
    """``out/config.py`` (the model, ``cfg_parts`` such as ``test_dataloader`` or a whole
    runtime, our scope and imports unless ``cfg_parts`` bring them) and ``out/model.pth`` (an
    mmengine checkpoint), each written atomically."""
    from mmengine.config import Config
    os.makedirs(out, exist_ok=True)
    parts = dict(default_scope='mmsegsup',
                 custom_imports=dict(imports=['mmsegsup'], allow_failed_imports=False))
    parts.update(cfg_parts)
    cfg = Config(dict(model=model_cfg, **parts))
    write_text_atomic(cfg.pretty_text, osp.join(out, 'config.py'))
    tmp = osp.join(out, 'model.pth.tmp')
    torch.save(dict(state_dict=state_dict,
                    meta=dict(source=osp.abspath(source), converter=converter,
                              dataset_meta=dict(classes=tuple(classes)))), tmp)
    os.replace(tmp, osp.join(out, 'model.pth'))
