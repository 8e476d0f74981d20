"""Thesis-exact RefVOS (issue 14): the original code's weights give its outputs in our model."""
import numpy as np
import pytest
from mmengine.registry import DefaultScope

import mmsegsup  # noqa: F401
from mmsegsup.models.segmentors.refvos_original import original_key, thesis_refvos_cfg
from mmsegsup.registry import SEG_MODELS
from refvos_refs_utils import CASES, assert_equals_original, load_case, original_weights

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('refvos_original')


@pytest.fixture(scope='module')
def vision_model():
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = SEG_MODELS.build(thesis_refvos_cfg())
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
    # today's default (empty union = 1.0) differs exactly on the U == 0 sample
    assert referring_scores(inter, union)['mean_iou'] > scores['mean_iou']
