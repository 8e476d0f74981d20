"""Thesis-exact RefVOS (issue 14): the original code's weights give its outputs in our model."""
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

import mmsegsup  # noqa: F401
from mmsegsup.models.segmentors.refvos_original import (THESIS_HEAD_OPTIONS, original_bert_key,
                                                           original_model_key)
from mmsegsup.registry import SEG_MODELS
from refvos_refs_utils import CASES, load_case, rule_state_dict

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('refvos_original')

ATOL = 2e-5


def thesis_vision_cfg() -> dict:
    """RefVOS with torchvision's ResNet-101 layout and DeepLabHeadEmb, no text encoder."""
    norm_cfg = dict(type='BN', requires_grad=True)
    return dict(
        type='RefVOS',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
                               seg_pad_val=255),
        backbone=dict(type='ResNet', depth=101, out_indices=(3,), strides=(1, 2, 1, 1),
                      dilations=(1, 1, 2, 4), style='pytorch', contract_dilation=True,
                      norm_cfg=norm_cfg),
        decode_head=dict(type='RefASPPHead', in_channels=2048, in_index=0, channels=256,
                         dilations=(1, 12, 24, 36), num_classes=2, fusion='mul',
                         text_channels=768, norm_cfg=norm_cfg, align_corners=False,
                         **THESIS_HEAD_OPTIONS),
        # BertModel(BertConfig()) built offline; the checkpoint's 'bert_model' fills it
        text_encoder=dict(type='HFTextEncoder', model_name_or_path='bert-base-uncased',
                          model_config=dict(model_type='bert'), pooling='cls',
                          attn_implementation='eager', truncation='slice', max_length=20,
                          eval_mode=True),
        test_cfg=dict(mode='whole'))


@pytest.fixture(scope='module')
def vision_model():
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = SEG_MODELS.build(thesis_vision_cfg())
    meta, _ = load_case(CASES[0])
    orig = rule_state_dict(meta['model_state_dict'])
    mapped = {original_model_key(k): v for k, v in orig.items()}
    bert = rule_state_dict(meta['bert_state_dict'])
    # the pooler is unused ([CLS] of the last hidden state) and dropped by HFTextEncoder
    mapped.update((original_bert_key(k), v) for k, v in bert.items()
                  if not k.startswith('pooler.'))
    ours = set(model.state_dict())
    assert ours == set(mapped), (sorted(ours - set(mapped))[:5], sorted(set(mapped) - ours)[:5])
    model.load_state_dict(mapped, strict=True)
    return model.eval()


@pytest.mark.parametrize('case', CASES)
def test_logits_equal_original(vision_model, case):
    """Normalised image, projected sentence, low-res and upsampled logits within 2e-5."""
    _, arr = load_case(case)
    bgr = torch.from_numpy(arr['images_uint8'][..., ::-1].copy()).permute(0, 3, 1, 2)
    data = vision_model.data_preprocessor(dict(inputs=list(bgr)), False)
    np.testing.assert_allclose(data['inputs'].numpy(), arr['images'], atol=1e-5)
    images = torch.from_numpy(arr['images'])
    head = vision_model.decode_head
    with torch.no_grad():
        emb = vision_model.text_encoder.encode_ids(torch.from_numpy(arr['input_ids']),
                                                   torch.from_numpy(arr['attention_mask']))
        np.testing.assert_allclose(emb.numpy(), arr['embedding'], atol=ATOL)
        np.testing.assert_allclose(head.project_text(emb).numpy(), arr['lang_proj'], atol=ATOL)
        feats = vision_model.extract_feat(images)
        np.testing.assert_allclose(head.forward(feats, emb).numpy(), arr['logits_lowres'],
                                   atol=ATOL)
        h, w = images.shape[2:]
        metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))] * len(images)
        logits = vision_model.encode_decode(images, metas, emb)
    np.testing.assert_allclose(logits.numpy(), arr['logits'], atol=ATOL)
    assert (logits.argmax(1).numpy() == arr['mask']).mean() > 0.999


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
