"""RefVOS: sentence encoder, text-conditioned ASPP head, segmentor, API and MLM fine-tuning."""
import copy
import importlib.util
import json
import os.path as osp
import time

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import save_checkpoint
from mmengine.structures import PixelData
from mmsegsup.registry import SEG_DATASETS as DATASETS, SEG_MODELS as MODELS
from mmseg.structures import SegDataSample
from safetensors.torch import load_file

import mmsegsup  # noqa: F401
from mmsegsup.apis.referring import inference_referring, init_referring_model
from mmsegsup.models.segmentors.refvos import RefVOS  # registers RefVOS, its head and encoder
from mmsegsup.models.text.hf_text_encoder import HFTextEncoder, resolve_text_model
from tools_utils import REPO

SIZE = 32
META_KEYS = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'reduce_zero_label', 'expression', 'expr_id', 'video', 'frame_id')


@pytest.fixture(autouse=True)
def mmseg_scope():
    """Build inside the mmseg family's scope, as its configs do."""
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        yield


def model_cfg(fusion: str = 'mul', frozen: bool = True, **test_cfg) -> dict:
    norm_cfg = dict(type='BN', requires_grad=True)
    return dict(
        type='RefVOS',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
                               seg_pad_val=255, size_divisor=8),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                      dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), contract_dilation=True,
                      norm_cfg=norm_cfg),
        decode_head=dict(type='RefASPPHead', in_channels=64, in_index=3, channels=16,
                         dilations=(1, 2, 4, 6), fusion=fusion, num_classes=2,
                         norm_cfg=norm_cfg, align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        text_encoder=dict(type='HFTextEncoder', model_name_or_path='minilm-offline',
                          frozen=frozen),
        train_cfg=dict(), test_cfg=dict(mode='whole', **test_cfg))


def build(**kwargs) -> RefVOS:
    return MODELS.build(model_cfg(**kwargs))


def batch(sentences, size: int = SIZE, expression: bool = True) -> dict:
    """Random images, one box-shaped referent each, the sentences in the metainfo."""
    gen = torch.Generator().manual_seed(1)
    inputs, samples = [], []
    for i, sentence in enumerate(sentences):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        meta = dict(img_shape=(size, size), ori_shape=(size, size), expr_id=str(i))
        if expression:
            meta['expression'] = sentence
        sample = SegDataSample(metainfo=meta)
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[:, 4:20, 2 + 8 * i:14 + 8 * i] = 1
        sample.gt_sem_seg = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def count_encoder_calls(monkeypatch, encoder: HFTextEncoder) -> list:
    """Record every forward of the HF transformer (one per batch of new sentences)."""
    calls = []
    forward = encoder.model.forward

    def counting(*args, **kwargs):
        calls.append(kwargs['input_ids'].shape[0])
        return forward(*args, **kwargs)

    monkeypatch.setattr(encoder.model, 'forward', counting)
    return calls


# ---------------------------------------------------------------- text encoder

def test_encoder_dims_poolings_and_speed(capsys):
    enc = HFTextEncoder(frozen=True)
    assert enc.out_channels == 384 and osp.isdir(resolve_text_model('minilm-offline'))
    sentences = ['the man on the left in a red shirt', 'dog', 'a white car behind the bus',
                 'woman holding an umbrella'] * 4
    enc.cache_size = 0  # time real encodings
    start = time.perf_counter()
    feats = enc(sentences)
    ms = (time.perf_counter() - start) * 1000 / 4  # 4 distinct sentences were encoded
    assert feats.shape == (16, 384) and not feats.requires_grad
    assert torch.equal(feats[0], feats[4]) and not torch.allclose(feats[0], feats[1])
    assert enc.model.pooler is None  # unused with 'cls': not trained, not in checkpoints
    with capsys.disabled():
        print(f'\n[MiniLM] embedding dim {enc.out_channels}, {ms:.1f} ms per sentence (CPU)')
    mean = HFTextEncoder(pooling='mean', frozen=True)(sentences[:2])
    assert mean.shape == (2, 384) and not torch.allclose(mean, feats[:2])
    with pytest.warns(UserWarning, match='untrained'):
        pooler = HFTextEncoder(pooling='pooler', frozen=True)
    assert pooler(['dog']).abs().max() <= 1  # tanh output
    with pytest.raises(ValueError, match='pooling'):
        HFTextEncoder(pooling='max')
    with pytest.raises(FileNotFoundError, match='/no/such/bert'):
        HFTextEncoder(model_name_or_path='/no/such/bert')


def test_truncation_warns_and_empty_sentence_fails():
    enc = HFTextEncoder(frozen=True, max_length=6)
    long = 'the tall man in the red shirt standing on the left'
    with pytest.warns(UserWarning, match=r"'the tall man.*' has 13 tokens.*max_length=6"):
        feats = enc(['dog', long])
    assert feats.shape == (2, 384)
    with pytest.raises(ValueError, match='sentence 1 .*empty'):
        enc(['dog', '   '])
    with pytest.raises(ValueError, match='list of sentences'):
        enc('dog')


@pytest.mark.parametrize('truncation,long_ids', [
    ('keep_sep', [101, 1996, 4206, 2158, 1999, 102]),  # HF truncation: [SEP] stays last
    ('slice', [101, 1996, 4206, 2158, 1999, 1996])])  # the original RefVOS: ids[:max_length]
def test_tokenize_applies_the_truncation_rule(truncation, long_ids):
    """The ids both forward and an exported graph embed (the ONNX tests check the graph)."""
    enc = HFTextEncoder(frozen=True, max_length=6, truncation=truncation)
    with pytest.warns(UserWarning, match=r"'the tall man in the red shirt' has 9 tokens"):
        tokens = enc.tokenize(['dog', 'the tall man in the red shirt'])
    assert tokens['input_ids'].tolist() == [[101, 3899, 102, 0, 0, 0], long_ids]
    assert tokens['attention_mask'].tolist() == [[1, 1, 1, 0, 0, 0], [1] * 6]


def test_memoisation_in_eval_and_when_frozen(monkeypatch):
    enc = HFTextEncoder(frozen=False)
    calls = count_encoder_calls(monkeypatch, enc)
    enc.train()
    enc(['a dog']), enc(['a dog'])
    assert len(calls) == 2  # training a trainable encoder: no memo
    enc.eval()
    with torch.no_grad():
        first = enc(['a dog'])
        again = enc(['a dog', 'a cat', 'a dog'])
    assert calls[2:] == [1, 1]  # then only the new sentence, once
    assert torch.equal(first[0], again[0]) and torch.equal(again[0], again[2])
    assert enc.num_cached == 2
    enc.train()
    assert enc.num_cached == 0


@pytest.mark.parametrize('layers', [10, 11, 13])
def test_trained_layers_fix_every_later_layer(layers):
    """trained_layers=10 (the original's range(10), train.py:367): layers 0-9 keep their
    gradients, every later layer and the embeddings (fixed_prefixes) lose theirs."""
    enc = HFTextEncoder(model_config=dict(model_type='bert', hidden_size=8,
                                          num_attention_heads=1, intermediate_size=8,
                                          num_hidden_layers=layers),
                        fixed_prefixes=('embeddings.', ), trained_layers=10)
    assert enc.fixed_prefixes == ('embeddings.', ) + tuple(
        f'encoder.layer.{i}.' for i in range(10, layers))
    trained = {n.split('.')[2] for n, p in enc.model.named_parameters() if p.requires_grad}
    assert trained == {str(i) for i in range(10)}


def test_trained_layers_beyond_the_model_fail():
    with pytest.raises(ValueError, match='trained_layers=10 but .* has 6 encoder layers'):
        HFTextEncoder(trained_layers=10)  # MiniLM: 6 layers (the original: IndexError)


# ---------------------------------------------------------------- segmentor

@pytest.mark.parametrize('fusion', ['mul', 'add', 'concat'])
def test_loss_and_predict_each_fusion(fusion):
    model = build(fusion=fusion)
    assert model.decode_head.text_channels == 384 and model.decode_head.fusion == fusion
    data = model.data_preprocessor(batch(['the left box', 'the box on the right']), True)
    model.train()
    losses = model.loss(**data)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    assert torch.isfinite(losses['decode.loss_ce'])
    losses['decode.loss_ce'].backward()
    assert model.decode_head.text_proj.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        preds = model.predict(**model.data_preprocessor(batch(['left', 'right']), False))
    assert len(preds) == 2
    assert preds[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
    assert preds[0].seg_logits.data.shape == (2, SIZE, SIZE)
    assert set(preds[0].pred_sem_seg.data.unique().tolist()) <= {0, 1}
    # same image, two sentences: the sentence changes the logits
    one = batch(['left'])
    two = dict(inputs=one['inputs'] * 2, data_samples=batch(['left', 'a cat'])['data_samples'])
    with torch.no_grad():
        logits = model(**model.data_preprocessor(two, False), mode='tensor')
    assert not torch.allclose(logits[0], logits[1])


def test_frozen_encoder_unchanged_by_a_step_head_changed():
    model = build(frozen=True)
    before = {k: v.clone() for k, v in model.text_encoder.state_dict().items()}
    model.init_weights()  # the runner's call must not re-draw the pretrained BERT
    head_before = model.decode_head.text_proj.weight.detach().clone()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    model.train()
    assert not model.text_encoder.model.training  # frozen: eval mode (no dropout) kept
    log = model.train_step(batch(['the left box', 'the box on the right']), optim)
    assert torch.isfinite(log['loss'])
    after = model.text_encoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(head_before, model.decode_head.text_proj.weight)
    # the checkpoint holds the encoder once, under text_encoder.model.*
    keys = [k for k in model.state_dict() if 'word_embeddings' in k]
    assert keys == ['text_encoder.model.embeddings.word_embeddings.weight']


def test_trainable_encoder_gets_gradients():
    model = build(frozen=False)
    model.train()
    assert model.text_encoder.model.training
    losses = model.loss(**model.data_preprocessor(batch(['left', 'right']), True))
    losses['decode.loss_ce'].backward()
    grad = model.text_encoder.model.embeddings.word_embeddings.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_missing_or_empty_expression_is_a_clear_error():
    model = build()
    data = model.data_preprocessor(batch(['left', 'right'], expression=False), True)
    with pytest.raises(ValueError, match=r'expr_id 0.*no "expression".*meta_keys'):
        model.loss(**data)
    data = model.data_preprocessor(batch(['left', ' ']), False)
    with pytest.raises(ValueError, match='expr_id 1.*empty'):
        model.predict(**data)
    with pytest.raises(ValueError, match='does not take sentence'):
        cfg = model_cfg()
        cfg['decode_head'] = dict(cfg['decode_head'], type='ASPPHead')
        cfg['decode_head'].pop('fusion')
        MODELS.build(cfg)


def test_video_sentence_encoded_once_in_eval(monkeypatch):
    model = build().eval()
    calls = count_encoder_calls(monkeypatch, model.text_encoder)
    frames = [batch(['the red box'])] * 3
    with torch.no_grad():
        for frame in frames:  # one frame at a time, as a video is streamed
            model.test_step(frame)
    assert calls == [1]
    with torch.no_grad():
        model.test_step(batch(['the blue box']))
    assert calls == [1, 1]
    model.train()
    assert model.text_encoder.num_cached == 0


def test_slide_inference_encodes_once(monkeypatch):
    model = build(crop_size=(24, 24), stride=(16, 16)).eval()
    model.test_cfg['mode'] = 'slide'
    model.text_encoder.cache_size = 0  # count real encodings, not memo hits
    calls = count_encoder_calls(monkeypatch, model.text_encoder)
    with torch.no_grad():
        preds = model.test_step(batch(['left', 'right'], size=40))
    assert calls == [2]  # one batch for both sentences, shared by the 4 windows
    assert preds[1].pred_sem_seg.data.shape == (1, 40, 40)


def test_inference_referring_on_arrays(monkeypatch):
    model = build().eval()
    model.cfg = Config(dict(test_pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(SIZE, SIZE), keep_ratio=False),
        dict(type='LoadAnnotations'),  # dropped: no ground truth at inference
        dict(type='PackSegInputs', meta_keys=META_KEYS)]))
    calls = count_encoder_calls(monkeypatch, model.text_encoder)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(3)]
    preds = inference_referring(model, frames, 'the object in the middle', batch_size=2)
    assert calls == [1] and len(preds) == 3
    assert preds[2].pred_sem_seg.data.shape == (1, 30, 40)
    assert preds[0].metainfo['expression'] == 'the object in the middle'
    one = inference_referring(model, frames[0], 'the object in the middle')
    assert isinstance(one, SegDataSample)
    assert torch.equal(one.pred_sem_seg.data, preds[0].pred_sem_seg.data)
    with pytest.raises(ValueError, match='non-empty'):
        inference_referring(model, frames, '')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inference_referring(model, ['missing.jpg'], 'a dog')


def test_init_referring_model_loads_a_checkpoint(tmp_path):
    model = build().eval()
    ckpt = str(tmp_path / 'refvos.pth')
    save_checkpoint(dict(state_dict=model.state_dict(), meta=dict(
        dataset_meta=dict(classes=('background', 'referent'), palette=[[0, 0, 0], [255, 0, 0]]))),
        ckpt)
    cfg = Config(dict(model=model_cfg(), default_scope='mmsegsup_seg', test_pipeline=[
        dict(type='LoadImageFromFile'), dict(type='PackSegInputs', meta_keys=META_KEYS)]))
    loaded = init_referring_model(cfg, ckpt, device='cpu')
    assert isinstance(loaded, RefVOS) and not loaded.training
    image = tmp_path / 'frame.png'
    cv2.imwrite(str(image), np.full((SIZE, SIZE, 3), 90, np.uint8))
    model.cfg = cfg
    ours, theirs = (inference_referring(m, str(image), 'the sky') for m in (model, loaded))
    assert torch.allclose(ours.seg_logits.data, theirs.seg_logits.data)
    copy.deepcopy(loaded.text_encoder)  # EMA hooks deep-copy models


# ---------------------------------------------------------------- MLM fine-tuning CLI

def _tool():
    spec = importlib.util.spec_from_file_location(
        'refvos_mlm_finetune', osp.join(REPO, 'tools', 'refvos_mlm_finetune.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPRESSIONS = [f'the {c} {s} on the {p}' for c, s, p in zip(
    ['red', 'blue', 'green', 'yellow', 'white'] * 4,
    ['circle', 'square', 'triangle', 'box', 'ball'] * 4,
    ['left'] * 5 + ['right'] * 5 + ['top'] * 5 + ['bottom'] * 5)]


def test_mlm_cli_writes_an_encoder_folder(tmp_path, capsys):
    text = tmp_path / 'expressions.txt'
    text.write_text('\n'.join(EXPRESSIONS + ['', '  ']) + '\n')
    out = tmp_path / 'bert_mlm'
    tool = _tool()
    record = tool.main(['--expressions', str(text), '--out', str(out), '--batch-size', '8',
                        '--lr', '1e-3', '--seed', '0'])
    printed = capsys.readouterr().out
    assert 'MLM loss before' in printed and 'MLM loss after' in printed
    assert record['expressions'] == 20 and record['steps'] == 3 and record['random_mlm_head']
    assert record['loss_after'] < record['loss_before']
    assert json.loads((out / 'mlm_finetune.json').read_text())['steps'] == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.tmp')]
    tuned = HFTextEncoder(model_name_or_path=str(out), frozen=True)
    assert tuned.out_channels == 384 and tuned(['a red one']).shape == (1, 384)
    t = load_file(str(out / 'model.safetensors'))
    b = load_file(osp.join(resolve_text_model('minilm-offline'), 'model.safetensors'))
    assert torch.equal(t['pooler.dense.weight'], b['pooler.dense.weight'])  # pooler kept
    assert not torch.equal(t['encoder.layer.0.attention.self.query.weight'],
                           b['encoder.layer.0.attention.self.query.weight'])
    with pytest.raises(FileExistsError, match='--overwrite'):
        tool.main(['--expressions', str(text), '--out', str(out)])


@DATASETS.register_module(name='_RefvosTestExpressions', force=True)
class _Expressions(BaseDataset):
    """Two video expressions over 3 frames each plus one image expression."""

    def load_data_list(self):
        rows = [dict(img_path=f'v/{f}.jpg', expression='the dog', expr_id='v/1/0', frame_id=f)
                for f in range(3)]
        rows += [dict(img_path=f'v/{f}.jpg', expression='the cat', expr_id='v/2/0', frame_id=f)
                 for f in range(3)]
        return rows + [dict(img_path='i.jpg', expression='the dog', expr_id='7')]


def test_mlm_expressions_from_a_dataset_config(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("default_scope = 'mmsegsup_seg'\ntrain_dataloader = dict(dataset=dict(type="
                   "'RepeatDataset', times=3, dataset=dict(type='_RefvosTestExpressions', "
                   "pipeline=[])))\n")
    # one per expression: video frames share one, repeats do not count, equal texts do
    assert _tool().dataset_expressions(str(cfg)) == ['the dog', 'the cat', 'the dog']
