"""Published RefVOS checkpoints (miriambellver/refvos ``model_best_*.pth``) -> mmsegsup.

A published model is one file: ``torch.save`` of a dict holding the segmentation model's
``'model'`` and the BERT's ``'bert_model'`` state_dicts, ``'optimizer'``, ``'epoch'``, the
training ``'args'`` (a pickled ``argparse.Namespace``) and ``'lr_scheduler'`` (train.py:444-453).
It is read by ``torch.load(weights_only=True)`` with ``argparse.Namespace`` as the only global
added for it (beyond torch's tensor rebuilders and the checked mmengine checkpoint globals that
``mmsegsup.utils.checkpoint`` registers), so a file whose pickle asks for anything else (a
function to call) is refused before anything runs. The optimiser and scheduler states are read
(tensors and numbers) and ignored.

The model config is the original code's RefVOS of :data:`REFVOS_CONFIG` with what the checkpoint
decides (:func:`thesis_refvos_cfg`): the token limit of the training dataset, the tokenizer (which
a local folder may replace: ``bert-base-uncased`` is a HuggingFace id, fetched at the first
sentence) and the BERT architecture. An MLM-pretrained BERT folder in the HuggingFace layout (the
paper's ``bert_pretrained_refcoco(+)``) may replace the BERT weights and architecture.
"""
import argparse
import copy
import json
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Tuple

import torch
from torch import Tensor

from .base_configs import derived_model
from .published import CONVERTERS, PublishedCheckpointError, failure_reason, load_weights_only
from .refvos_keys import BERT_DROPPED, original_key

StateDict = Dict[str, Tensor]

# args.dataset -> max_tokens: dataset_refer_bert.py:41 (RefCOCO, RefCOCO+), a2d.py:27,
# davis2017.py:45; train.py / test.py get_dataset know no other dataset
TOKEN_LIMITS = {'refcoco': 20, 'refcoco+': 20, 'a2d': 10, 'davis': 10}
# the only model of lib/segmentation.py (train.py builds segmentation.__dict__[args.model])
MODELS = ('deeplabv3_resnet101', )
# args.py defaults of the optional fields read here
ARG_DEFAULTS = dict(bert_tokenizer='bert-base-uncased', multiply_feats=True, addition=False,
                    baseline_bilstm=False)
# BertConfig fields that shape a BertModel (or its dropout, off in eval mode anyway)
BERT_CONFIG_FIELDS = ('vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads',
                      'intermediate_size', 'hidden_act', 'max_position_embeddings',
                      'type_vocab_size', 'layer_norm_eps', 'pad_token_id',
                      'position_embedding_type', 'hidden_dropout_prob',
                      'attention_probs_dropout_prob')
BERT_WEIGHTS = ('model.safetensors', 'pytorch_model.bin')
# the original code's RefVOS (the published checkpoints' model)
REFVOS_CONFIG = '_base_/models/refvos_r101.py'


class RefVOSCheckpointError(PublishedCheckpointError):
    """A published RefVOS checkpoint (or BERT folder) that cannot be converted."""


def _state_dict(obj: Any, where: str) -> StateDict:
    """``obj`` as a state_dict of tensors, DataParallel's ``module.`` prefixes stripped."""
    if not isinstance(obj, Mapping) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise RefVOSCheckpointError(f'{where}: expected a state_dict (names -> tensors), got '
                                    f'{type(obj).__name__}')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in obj.items()}


def read_refvos(path: str) -> Tuple[Optional[argparse.Namespace], StateDict, StateDict]:
    """``(args, model, bert_model)`` of a published RefVOS ``.pth`` (``args`` None if absent)."""
    if osp.isdir(path):
        raise RefVOSCheckpointError(f'{path}: is a folder; a RefVOS checkpoint is one .pth file '
                                    f'(published RVOS / RSIS folders: {CONVERTERS["rvos"]} / '
                                    f'{CONVERTERS["rsis"]})')
    if not osp.isfile(path):
        raise RefVOSCheckpointError(f'{path}: file not found')
    ckpt = load_weights_only(path, (argparse.Namespace, ), RefVOSCheckpointError)
    if not isinstance(ckpt, Mapping):
        raise RefVOSCheckpointError(f'{path}: expected the dict train.py saves, got '
                                    f'{type(ckpt).__name__}')
    if 'bilstm' in ckpt:
        raise RefVOSCheckpointError(f'{path}: a BiLSTM-baseline checkpoint (bilstm, fc_layer, no '
                                    'bert_model): only the BERT models are supported')
    absent = [k for k in ('model', 'bert_model') if k not in ckpt]
    if absent:
        raise RefVOSCheckpointError(
            f'{path}: not a RefVOS checkpoint: no {" / ".join(absent)} entry (expected model, '
            f'bert_model, optimizer, epoch, args, lr_scheduler; found {sorted(map(str, ckpt))})')
    args = ckpt.get('args')
    if args is not None and not isinstance(args, argparse.Namespace):
        raise RefVOSCheckpointError(f'{path}: args is a {type(args).__name__}, expected the '
                                    'training argparse.Namespace')
    return (args, _state_dict(ckpt['model'], f"{path}: 'model'"),
            _state_dict(ckpt['bert_model'], f"{path}: 'bert_model'"))


def thesis_refvos_cfg(max_length: int = 20, tokenizer: str = 'bert-base-uncased',
                      bert_config: Optional[dict] = None) -> dict:
    """The model of :data:`REFVOS_CONFIG` with what a checkpoint decides: the token limit,
    the tokenizer (the original's ``--bert_tokenizer``, which only tokenises sentences) and the
    BERT architecture, built offline from ``bert_config`` (``transformers`` config fields with
    ``model_type``; default ``BertConfig()``, i.e. bert-base-uncased) and filled by the
    checkpoint; no ImageNet init (the weights are the checkpoint's)."""
    bert = dict(bert_config or dict(model_type='bert'))
    cfg = derived_model(REFVOS_CONFIG, {
        'backbone.init_cfg': None, 'text_encoder.model_name_or_path': tokenizer,
        'text_encoder.model_config': bert, 'text_encoder.max_length': int(max_length)})
    _fit_trained_layers(cfg['text_encoder'], int(bert.get('num_hidden_layers', 12)))
    return cfg


def _fit_trained_layers(encoder: dict, layers: int) -> None:
    """The original optimises BERT layers 0-9 (train.py:361-375), so all of a BERT with fewer;
    ``layers``: the checkpoint BERT's (``BertConfig``'s 12 unless its config says)."""
    if encoder.get('trained_layers') is not None:
        encoder['trained_layers'] = min(encoder['trained_layers'], layers)


def _arg(args: Optional[argparse.Namespace], name: str, path: str, why: str) -> Any:
    if args is None or not hasattr(args, name):
        raise RefVOSCheckpointError(f"{path}: args lacks '{name}' ({why}); a checkpoint written "
                                    "by train.py stores the whole argparse.Namespace")
    return getattr(args, name)


def refvos_model_cfg(args: Optional[argparse.Namespace], path: str = 'args',
                     bert_config: Optional[dict] = None,
                     tokenizer: Optional[str] = None) -> dict:
    """The thesis-exact model config of the training ``args`` (``path`` names the file in
    errors): the token limit of ``args.dataset``, the tokenizer ``args.bert_tokenizer`` unless
    ``tokenizer`` replaces it (the original's is a HuggingFace id, offline users need a
    folder)."""
    dataset = _arg(args, 'dataset', path, f'one of {sorted(TOKEN_LIMITS)}: it sets the token '
                   'limit')
    model = _arg(args, 'model', path, f'one of {list(MODELS)}')
    if dataset not in TOKEN_LIMITS:
        raise RefVOSCheckpointError(f'{path}: args.dataset {dataset!r} is not one of '
                                    f'{sorted(TOKEN_LIMITS)}')
    if model not in MODELS:
        raise RefVOSCheckpointError(f'{path}: args.model {model!r} is not one of {list(MODELS)} '
                                    '(the models of the original lib/segmentation.py)')
    opts = {k: getattr(args, k, v) for k, v in ARG_DEFAULTS.items()}
    if opts['baseline_bilstm']:
        raise RefVOSCheckpointError(f'{path}: args.baseline_bilstm: the BiLSTM baseline is not '
                                    'supported, only the BERT models')
    if not opts['multiply_feats']:
        # deeplabv3_emb.py:128-136: (v + l) / 2 or concat with a 512-channel project_final,
        # neither of which RefASPPHead reproduces; multiply_feats is always on from args.py
        raise RefVOSCheckpointError(f'{path}: args.multiply_feats is off (fusion by '
                                    f'{"addition" if opts["addition"] else "concatenation"}): '
                                    'only the product fusion of the published models is '
                                    'supported')
    if tokenizer is None:
        tokenizer = opts['bert_tokenizer']
        if not isinstance(tokenizer, str) or not tokenizer:
            raise RefVOSCheckpointError(f'{path}: args.bert_tokenizer {tokenizer!r} is not a '
                                        'tokenizer name')
    return thesis_refvos_cfg(max_length=TOKEN_LIMITS[dataset], tokenizer=tokenizer,
                             bert_config=bert_config)


def bert_config_from_weights(bert: Mapping[str, Tensor], path: str = 'checkpoint') -> dict:
    """The ``BertConfig`` fields the original ``'bert_model'`` shapes imply (the checkpoint has
    no config); heads = hidden / 64 as every BERT (bert-base: 12), which shapes cannot show."""
    try:
        vocab, hidden = bert['embeddings.word_embeddings.weight'].shape
        positions = bert['embeddings.position_embeddings.weight'].shape[0]
        types = bert['embeddings.token_type_embeddings.weight'].shape[0]
        inter = bert['encoder.layer.0.intermediate.dense.weight'].shape[0]
    except (KeyError, ValueError) as err:
        raise RefVOSCheckpointError(f"{path}: 'bert_model' is not a BertModel state_dict (no "
                                    f'{err})') from err
    layers = {int(k.split('.')[2]) for k in bert if k.startswith('encoder.layer.')}
    return dict(model_type='bert', vocab_size=int(vocab), hidden_size=int(hidden),
                num_hidden_layers=len(layers), num_attention_heads=max(1, int(hidden) // 64),
                intermediate_size=int(inter), max_position_embeddings=int(positions),
                type_vocab_size=int(types))


def read_bert_folder(folder: str) -> Tuple[dict, StateDict]:
    """``(config, BertModel state_dict)`` of a HuggingFace BERT folder (``config.json`` +
    ``model.safetensors`` or ``pytorch_model.bin``, e.g. a ``BertForMaskedLM``): its ``bert.``
    prefix stripped, the MLM head ``cls.*`` and :data:`BERT_DROPPED` left out."""
    config_path = osp.join(folder, 'config.json')
    if not osp.isdir(folder):
        raise RefVOSCheckpointError(f'{folder}: not a folder (expected a HuggingFace BERT '
                                    'folder: config.json + model.safetensors / pytorch_model.bin)')
    if not osp.isfile(config_path):
        raise RefVOSCheckpointError(f'{config_path}: file not found (a HuggingFace BERT folder)')
    try:
        with open(config_path, encoding='utf-8') as f:
            raw = json.load(f)
    except (OSError, ValueError) as err:
        raise RefVOSCheckpointError(f'{config_path}: not a JSON file ({err})') from err
    if not isinstance(raw, dict):
        raise RefVOSCheckpointError(f'{config_path}: a JSON {type(raw).__name__}, expected a '
                                    'BertConfig object')
    # transformers 2.x configs may lack model_type: then the architecture must be BERT
    kind = raw.get('model_type', 'bert' if all(str(a).startswith('Bert') for a in
                                               raw.get('architectures', ['Bert'])) else None)
    if kind != 'bert' or 'hidden_size' not in raw:
        raise RefVOSCheckpointError(f'{config_path}: model_type {kind!r} / architectures '
                                    f'{raw.get("architectures")}, expected a BERT config '
                                    '(with hidden_size)')
    config = dict(model_type='bert', **{k: raw[k] for k in BERT_CONFIG_FIELDS if k in raw})
    weights = [osp.join(folder, n) for n in BERT_WEIGHTS if osp.isfile(osp.join(folder, n))]
    if not weights:
        raise RefVOSCheckpointError(f'{folder}: no {" or ".join(BERT_WEIGHTS)}')
    path = weights[0]
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        try:
            sd = load_file(path, device='cpu')
        except Exception as err:  # noqa: BLE001 - one clear message for a bad file
            raise RefVOSCheckpointError(f'{path}: not a readable safetensors file '
                                        f'({type(err).__name__}: {err})') from err
    else:
        sd = load_weights_only(path, error=RefVOSCheckpointError)
    sd = _state_dict(sd, path)
    out: StateDict = {}
    for key, val in sd.items():
        key = key[len('bert.'):] if key.startswith('bert.') else key
        if not key.startswith(('cls.', ) + BERT_DROPPED):
            out[key] = val
    return config, out


def _expected_shapes(cfg: dict) -> Dict[str, torch.Size]:
    """Key -> shape of the model ``cfg`` builds, built on the meta device (no memory, no init
    cost: only the names and shapes are wanted)."""
    from mmengine.registry import DefaultScope

    from mmsegsup.registry import SEG_MODELS
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'), torch.device('meta'):
        model = SEG_MODELS.build(copy.deepcopy(cfg))
    return {k: v.shape for k, v in model.state_dict().items()}


def _mapped(path: str, model: StateDict, bert: StateDict,
            bert_source: str) -> Tuple[StateDict, Dict[str, str]]:
    """Our state_dict and, per our key, the original entry it came from (for errors)."""
    out: StateDict = {}
    origin: Dict[str, str] = {}
    unknown = []
    for entry, sd, where in (('model', model, "'model'"), ('bert_model', bert, bert_source)):
        for key, val in sd.items():
            try:
                ours = original_key(entry, key)
            except KeyError:
                unknown.append(f'{where}[{key!r}]')
                continue
            if ours is not None:
                out[ours] = val
                origin[ours] = f'{where}[{key!r}]'
    if unknown:
        raise RefVOSCheckpointError(f'{path}: unknown key(s) {", ".join(unknown[:5])}: not '
                                    'keys of the original RefVOS model (backbone.* / '
                                    'classifier.*)')
    return out, origin


def _check(path: str, mapped: StateDict, origin: Dict[str, str],
           expected: Dict[str, torch.Size]) -> None:
    """Every key of the thesis-exact model present, no other, each at its shape; errors name
    the original entries (and our names)."""
    unknown = sorted(set(mapped) - set(expected))
    if unknown:
        raise RefVOSCheckpointError(f'{path}: unexpected key(s) '
                                    f'{", ".join(origin[k] for k in unknown[:5])}: not in the '
                                    'thesis-exact RefVOS')
    missing = sorted(set(expected) - set(mapped))
    if missing:
        raise RefVOSCheckpointError(f'{path}: missing key(s) {missing[:5]} (mmsegsup names) of '
                                    'the thesis-exact RefVOS')
    bad = [k for k, s in expected.items() if tuple(mapped[k].shape) != tuple(s)]
    if bad:
        raise RefVOSCheckpointError(f'{path}: shape mismatch: ' + '; '.join(
            f'{origin[k]} has shape {tuple(mapped[k].shape)}, expected {tuple(expected[k])} '
            f'(mmsegsup {k})' for k in bad[:5]))


def check_tokenizer(name: str, vocab_size: int, path: str = 'checkpoint') -> str:
    """``name`` as the config should hold it. A local folder (or ``'minilm-offline'``) is loaded
    here, so a missing or wrong one (a vocabulary other than the BERT's ``vocab_size`` word
    embeddings) fails at conversion rather than at the first sentence, and a folder is written
    absolute (the config is used from anywhere); a HuggingFace id is kept as given (fetched when
    the model first tokenises)."""
    from ..text.hf_text_encoder import MINILM_OFFLINE, resolve_text_model
    try:
        source = resolve_text_model(name, tokenizer=True)
    except (FileNotFoundError, ValueError) as err:
        raise RefVOSCheckpointError(f'{path}: tokenizer {name!r}: {err}; pass --tokenizer with '
                                    'a HuggingFace id or a local tokenizer folder') from err
    if not osp.isdir(source):
        return name
    from transformers import AutoTokenizer
    try:
        size = len(AutoTokenizer.from_pretrained(source, local_files_only=True))
    except Exception as err:  # noqa: BLE001 - any unloadable folder gets one clear message
        raise RefVOSCheckpointError(f'{source}: not a loadable tokenizer folder '
                                    f'({failure_reason(err)})') from err
    if size != vocab_size:
        raise RefVOSCheckpointError(
            f'{source}: the tokenizer has {size} tokens but the BERT of {path} has {vocab_size} '
            'word embeddings: not the vocabulary the model was trained with (the published '
            "models: bert-base-uncased's 30522)")
    return name if name == MINILM_OFFLINE else osp.abspath(source)


def convert_refvos(path: str, bert_folder: Optional[str] = None,
                   tokenizer: Optional[str] = None) -> Tuple[dict, StateDict, argparse.Namespace]:
    """``(model_cfg, state_dict, args)`` of a published RefVOS checkpoint, every key and shape
    checked against the model the config builds; with ``bert_folder`` the BERT weights and
    architecture come from that HuggingFace folder instead of ``'bert_model'``; ``tokenizer``
    (an id or folder, checked by :func:`check_tokenizer`) replaces ``args.bert_tokenizer``."""
    args, model, bert = read_refvos(path)
    bert_source = "'bert_model'"
    if bert_folder is not None:
        bert_config, bert = read_bert_folder(bert_folder)
        bert_source = f'BERT folder {bert_folder}'

    else:
        bert_config = bert_config_from_weights(bert, path)
    cfg = refvos_model_cfg(args, path, bert_config, tokenizer)
    mapped, origin = _mapped(path, model, bert, bert_source)
    _check(path, mapped, origin, _expected_shapes(cfg))
    enc = cfg['text_encoder']
    enc['model_name_or_path'] = check_tokenizer(
        enc['model_name_or_path'], bert['embeddings.word_embeddings.weight'].shape[0],
        bert_folder or path)
    state = {k: v.float() if v.is_floating_point() else v for k, v in mapped.items()}
    return cfg, state, args
