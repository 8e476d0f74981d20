"""The weight rule of ../shared/original_refs/README.md and the RefVOS fixtures (issue 14)."""
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

import numpy as np
import torch

from original_refs_utils import rule_tensor  # the one weight rule (test_refvos_converter imports it here)

REFS = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'original_refs', 'refvos')
# the first two from ../shared/original_refs/refvos; the others made here by
# data/original_refs/refvos/generate/make_refvos_cases.py (batch 3, an odd size, a sentence
# truncated at RefCOCO's 20 tokens, A2D's 10-token limit)
CASES = ('refvos_r101_refcoco', 'refvos_r101_nonsquare', 'refvos_r101_batch3',
         'refvos_r101_odd_97x141', 'refvos_r101_truncated20', 'refvos_r101_a2d_tokens10')
ATOL = 2e-5  # the bound on embeddings, projected sentences and logits


def rule_state_dict(shapes: Dict[str, List[int]]) -> 'OrderedDict[str, torch.Tensor]':
    """The original's state_dict of ``shapes`` (key order kept) filled by the weight rule."""
    return OrderedDict((k, rule_tensor(k, s)) for k, s in shapes.items())


def load_case(case: str):
    """``(json dict, npz arrays)`` of a fixture."""
    with open(osp.join(REFS, f'{case}.json')) as f:
        meta = json.load(f)
    return meta, dict(np.load(osp.join(REFS, f'{case}.npz')))


def original_weights(meta: dict) -> Dict[str, 'OrderedDict[str, torch.Tensor]']:
    """The original checkpoint's weight entries (``'model'``, ``'bert_model'``) of a fixture,
    filled by the weight rule."""
    return dict(model=rule_state_dict(meta['model_state_dict']),
                bert_model=rule_state_dict(meta['bert_state_dict']))


def assert_equals_original(model, arr: Dict[str, np.ndarray]) -> None:
    """A thesis-exact RefVOS (eval mode) on a fixture's inputs: the normalised images, the
    sentence embedding, the projected sentence, the low-res and upsampled logits and the mask
    equal the original code's (2e-5; the normalisation 1e-5)."""
    bgr = torch.from_numpy(arr['images_uint8'][..., ::-1].copy()).permute(0, 3, 1, 2)
    data = model.data_preprocessor(dict(inputs=list(bgr)), False)
    np.testing.assert_allclose(data['inputs'].numpy(), arr['images'], atol=1e-5)
    images = torch.from_numpy(arr['images'])
    head = model.decode_head
    with torch.no_grad():
        emb = model.text_encoder.encode_ids(torch.from_numpy(arr['input_ids']),
                                            torch.from_numpy(arr['attention_mask']))
        np.testing.assert_allclose(emb.numpy(), arr['embedding'], atol=ATOL)
        np.testing.assert_allclose(head.project_text(emb).numpy(), arr['lang_proj'], atol=ATOL)
        feats = model.extract_feat(images)
        np.testing.assert_allclose(head.forward(feats, emb).numpy(), arr['logits_lowres'],
                                   atol=ATOL)
        h, w = images.shape[2:]
        metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))] * len(images)
        logits = model.encode_decode(images, metas, emb)
    np.testing.assert_allclose(logits.numpy(), arr['logits'], atol=ATOL)
    assert (logits.argmax(1).numpy() == arr['mask']).mean() > 0.999


def assert_sentences_equal_original(text_encoder, meta: dict, arr: Dict[str, np.ndarray]) -> None:
    """A text encoder configured for the case's dataset (the json's ``max_tokens``) keeps the
    original's token limit and truncation: fed the case's raw sentences (cases made here
    record them), it gives the embedding the original computed from its sliced token ids.
    The encoder's tokenizer must be bert-base-uncased's."""
    assert text_encoder.max_length == meta['max_tokens'], (text_encoder.max_length, meta['case'])
    assert text_encoder.truncation == 'slice'
    sentences = meta.get('sentences')
    if sentences is None:  # the shared cases feed random token ids, no sentences
        return
    kept = [int(n) for n in arr['attention_mask'].sum(1)]
    assert kept == meta['sentence_kept_lengths']
    assert kept == [min(n, meta['max_tokens']) for n in meta['sentence_raw_lengths']]
    with torch.no_grad():
        emb = text_encoder(sentences)
    np.testing.assert_allclose(emb.numpy(), arr['embedding'], atol=ATOL)
