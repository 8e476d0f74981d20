"""The weight rule of ../shared/original_refs/README.md and the RefVOS fixtures (issue 14)."""
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

import numpy as np
import torch

from original_refs_utils import rule_tensor  # the one weight rule (test_refvos_converter imports it here)

REFS = osp.join(osp.dirname(osp.abspath(__file__)), 'data', 'original_refs', 'refvos')
CASES = ('refvos_r101_refcoco', 'refvos_r101_nonsquare')
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
