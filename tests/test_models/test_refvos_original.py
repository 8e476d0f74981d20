"""Thesis-exact RefVOS (issue 14): the original code's weights give its outputs in our model."""
import numpy as np
import pytest
import torch
from mmengine.registry import MODELS, DefaultScope

import mmsegsup  # noqa: F401
from mmsegsup.models.converters import original_key, thesis_refvos_cfg
from mmsegsup.models.text.hf_text_encoder import resolve_text_model
from mmsegsup.registry import SEG_MODELS
from refvos_refs_utils import (CASES, assert_equals_original, assert_sentences_equal_original,
                               load_case, original_weights)

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('refvos_original')

# bert-base-uncased's WordPiece tokenizer, offline (test_refvos_converter checks it)
MINILM = resolve_text_model('minilm-offline')


@pytest.fixture(scope='module')
def vision_model():
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = SEG_MODELS.build(thesis_refvos_cfg(tokenizer=MINILM))
    meta, _ = load_case(CASES[0])
    mapped = {}
    for entry, weights in original_weights(meta).items():
        for key, val in weights.items():
            ours = original_key(entry, key)  # None: the BERT pooler (unused)
            if ours is not None:
                mapped[ours] = val
    ours = set(model.state_dict())
    assert ours == set(mapped), (sorted(ours - set(mapped))[:5], sorted(set(mapped) - ours)[:5])
    model.load_state_dict(mapped, strict=True)
    return model.eval()


@pytest.mark.parametrize('case', CASES)
def test_logits_equal_original(vision_model, case):
    """Normalised image, projected sentence, low-res and upsampled logits within 2e-5."""
    assert_equals_original(vision_model, load_case(case)[1])


@pytest.fixture(scope='module')
def text_encoders(vision_model):
    """Token limit -> the thesis text encoder built with that ``max_length`` (BERT weights of
    ``vision_model``), built on first use."""
    built = {}

    def get(max_length: int):
        if max_length not in built:
            enc = MODELS.build(thesis_refvos_cfg(max_length, MINILM)['text_encoder'])
            enc.load_state_dict(vision_model.text_encoder.state_dict(), strict=True)
            built[max_length] = enc.eval()
        return built[max_length]
    return get


@pytest.mark.parametrize('case', [c for c in CASES if 'sentences' in load_case(c)[0]])
def test_sentences_equal_original(text_encoders, case):
    """The raw sentences, tokenised and truncated at the case's dataset limit (RefCOCO 20,
    A2D / DAVIS 10) by our encoder, give the original's embedding; at the other limit the
    truncated ones do not."""
    meta, arr = load_case(case)
    assert_sentences_equal_original(text_encoders(meta['max_tokens']), meta, arr)
    if any(meta['truncated']):
        other = text_encoders(10 if meta['max_tokens'] == 20 else 20)
        with torch.no_grad():
            emb = other(meta['sentences']).numpy()
        rows = np.array(meta['truncated'])
        assert np.abs(emb[rows] - arr['embedding'][rows]).max() > 1e-2
        np.testing.assert_allclose(emb[~rows], arr['embedding'][~rows], atol=2e-5)


def test_metrics_equal_original_test_py():
    """refvos_metrics: our functions with empty_union_iou=0 print test.py's numbers."""
    from mmsegsup.evaluation.functional.referring_metrics import (intersection_and_union,
                                                                   referring_scores,
                                                                   sample_ious)
    meta, arr = load_case('refvos_metrics')
    counts = [intersection_and_union(p.astype(bool), arr['targets'][k].astype(bool))
              for p, k in zip(arr['preds'], arr['sample_image'])]
    assert [list(c) for c in counts] == meta['I_U']
    inter, union = zip(*counts)
    np.testing.assert_allclose(sample_ious(inter, union, empty_union_iou=0.0), meta['iou'])
    scores = referring_scores(inter, union, empty_union_iou=0.0)
    exact = meta['exact']
    assert scores['mean_iou'] * 100 == pytest.approx(exact['mean_iou'], abs=1e-9)
    assert scores['overall_iou'] * 100 == pytest.approx(exact['overall_iou'], abs=1e-9)
    printed = [f"{scores['mean_iou'] * 100:.2f}", f"{scores['overall_iou'] * 100:.2f}"]
    assert printed == [f"{meta['parsed']['mean_iou']:.2f}", f"{meta['parsed']['overall_iou']:.2f}"]
    for k, v in exact['precision'].items():
        assert scores[f'prec@{float(k):g}'] * 100 == pytest.approx(v, abs=1e-9)
    # the default is the original's rule; the DAVIS-J rule (empty union = 1.0) differs
    # exactly on the U == 0 sample
    assert referring_scores(inter, union) == scores
    assert referring_scores(inter, union, empty_union_iou=1.0)['mean_iou'] > scores['mean_iou']
