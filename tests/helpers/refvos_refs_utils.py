"""The weight rule of ../shared/original_refs/README.md, the RefVOS fixtures (issue 14) and
the published checkpoint layout they are converted from."""
import argparse
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

import numpy as np
import torch

from original_refs_utils import rule_tensor  # the one weight rule (test_refvos_converter imports it here)

REFS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'original_refs',
                    'refvos')
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


def train_args(**changes) -> argparse.Namespace:
    """The Namespace train.py pickles under 'args' (args.py defaults; RefCOCO)."""
    args = argparse.Namespace(
        model_id='my_model', dataset='refcoco', model='deeplabv3_resnet101', aux_loss=False,
        batch_size=6, base_size=520, crop_size=480, epochs=30, workers=16, lr=0.01,
        momentum=0.9, weight_decay=1e-4, pretrained=False, optimizer='sgd', print_freq=10,
        output_dir='./checkpoints/', local_rank=None, device='cuda', test_only=False,
        multiply_feats=True, addition=False, fixed_lr=False, linear_lr=False,
        lr_specific=3e-5, lr_specific_decrease=0.001, baseline_bilstm=False,
        load_optimizer=False, resume='', bert_tokenizer='bert-base-uncased',
        glove_dict='./glove.840B.300d.txt', ck_bert='bert-base-uncased',
        results_folder='./results/', submission_path='./results_submission/', split='test',
        display=False, pretrained_refvos=False,
        ck_pretrained_refvos='./checkpoints/model_refcoco.pth',
        refer_data_root='./datasets/refer/data/', refer_dataset='refcoco', splitBy='unc',
        davis_data_root='./datasets/davis2017', emb_type='first_mask',
        a2d_data_root='./datasets/Release/', size_a2d_x=240, size_a2d_y=427)
    for key, val in changes.items():
        if val is None:
            delattr(args, key)
        else:
            setattr(args, key, val)
    return args


def _training_states() -> dict:
    """Real (small) SGD and poly LambdaLR states, as train.py saves next to the weights."""
    param = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([{'params': [param]}, {'params': []}], lr=0.01, momentum=0.9,
                          weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda x: (1 - x / 100) ** 0.9)
    param.sum().backward()
    opt.step()
    sched.step()
    return dict(optimizer=opt.state_dict(), lr_scheduler=sched.state_dict())


def write_published(path: str, weights: dict, args=None) -> str:
    """A ``model_best_*.pth`` as train.py:444-453 writes it, with the DataParallel ``module.``
    prefix and the ``embeddings.position_ids`` buffer of transformers 3.x-4.30 on top."""
    bert = dict(weights['bert_model'])
    bert['embeddings.position_ids'] = torch.arange(512)[None]
    torch.save(dict(model={'module.' + k: v for k, v in weights['model'].items()},
                    bert_model={'module.' + k: v for k, v in bert.items()},
                    epoch=7, args=train_args() if args is None else args,
                    **_training_states()), path)
    return path
