"""Published RefVOS checkpoints (issue 14): convert through the CLI, load through
init_referring_model, equal the original code; bad or malicious files are refused clearly.
Converted for offline use (--tokenizer the bundled MiniLM's, bert-base-uncased's vocabulary),
the model runs in the referring demo (an image, a frame folder) and in tools/test.py on the
RefCOCO refer layout."""
import argparse
import json
import os
import os.path as osp
import re
import zlib
from typing import Dict, Iterator

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from transformers import AutoTokenizer, BertTokenizer

from refer_utils import MASK_201, MASK_302, write_refer_root
from refvos_refs_utils import (CASES, assert_equals_original, assert_sentences_equal_original,
                               load_case, original_weights, rule_tensor, train_args,
                               write_published)
from tools_utils import run

from mmsegsup.apis import inference_referring, init_referring_model
from mmsegsup.models.converters import read_bert_folder, refvos_model_cfg
from mmsegsup.models.text.hf_text_encoder import HFTextEncoder, resolve_text_model
from mmsegsup.registry import SEG_DATASETS
from mmsegsup.utils.tool_runner import load_tool

# module-scoped converted checkpoint: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('refvos_converter')

CONVERTER = 'tools/model_converters/refvos_to_mmsegsup.py'


def cheap_weights(meta: dict) -> dict:
    """Every entry at its shape but stored as one zero (stride 0): a full-size checkpoint of a
    few kilobytes, for the tests that only need keys and shapes."""
    def zeros(shapes: dict) -> dict:
        return {k: torch.zeros((), dtype=torch.int64 if k.endswith('num_batches_tracked')
                               else torch.float32).expand(s) for k, s in shapes.items()}
    return dict(model=zeros(meta['model_state_dict']), bert_model=zeros(meta['bert_state_dict']))


def _shapes_key(meta: dict) -> int:
    return zlib.crc32(json.dumps([meta['model_state_dict'], meta['bert_state_dict']],
                                 sort_keys=True).encode())


@pytest.fixture(scope='module')
def published(tmp_path_factory) -> Iterator[Dict[str, str]]:
    """Case -> its published checkpoint, written once per distinct weight set and dataset of
    the fixtures (the cases share one weight set; ``args.dataset`` is the case's, which sets
    the token limit: refcoco 20, a2d 10) for the conversions of this module, removed after it
    (0.6 GB each)."""
    tmp = tmp_path_factory.mktemp('refvos_published')
    paths: Dict[str, str] = {}
    for case in CASES:
        meta, _ = load_case(case)
        key = f"{_shapes_key(meta)}_{meta['dataset']}"
        if key not in paths:
            paths[key] = write_published(str(tmp / f'{key}.pth'), original_weights(meta),
                                         train_args(dataset=meta['dataset']))
        paths[case] = paths[key]
    yield paths
    for path in set(paths.values()):
        os.remove(path)


@pytest.fixture(scope='module')
def converted(published, tmp_path_factory) -> dict:
    """Per distinct published checkpoint, its conversion by the CLI (defaults) loaded through
    init_referring_model."""
    tmp = tmp_path_factory.mktemp('refvos_converter')
    tool = load_tool(CONVERTER)
    done = {}
    for case in CASES:
        ckpt = published[case]
        if ckpt not in done:
            out = str(tmp / f'{osp.basename(ckpt)[:-4]}_converted')
            assert tool.main([ckpt, out]) == 0
            done[ckpt] = dict(out=out, model=init_referring_model(
                osp.join(out, 'config.py'), osp.join(out, 'model.pth')))
        done[case] = done[ckpt]
    return done


@pytest.mark.parametrize('case', CASES)
def test_converted_equals_original(converted, case):
    """Embedding, projected sentence, low-res and upsampled logits at 2e-5 of the original;
    the token limit the converter derived from ``args.dataset`` is the case's, and the raw
    sentences (cases that record them) embed as the original's sliced ids."""
    model = converted[case]['model']
    assert not model.training and not model.text_encoder.model.training
    meta, arr = load_case(case)
    assert_equals_original(model, arr)
    # offline stand-in for 'bert-base-uncased' (same WordPiece vocabulary; checked below)
    model.text_encoder.tokenizer_name_or_path = MINILM
    assert_sentences_equal_original(model.text_encoder, meta, arr)


def test_converted_config_and_checkpoint(converted):
    """The written config is the thesis model with RefCOCO's 20 tokens and the original test
    protocol; the checkpoint is a plain mmengine one without the dropped BERT entries."""
    out = converted[CASES[0]]['out']
    cfg = Config.fromfile(osp.join(out, 'config.py'))
    assert cfg.default_scope == 'mmsegsup_seg'
    assert cfg.custom_imports == dict(imports=['mmsegsup'], allow_failed_imports=False)
    enc = cfg.model.text_encoder
    assert (enc.max_length, enc.truncation, enc.pooling, enc.eval_mode) == (20, 'slice', 'cls',
                                                                           True)
    assert enc.model_name_or_path == 'bert-base-uncased'
    assert enc.model_config.num_hidden_layers == 12 and enc.model_config.hidden_size == 768
    assert cfg.model.decode_head.fusion == 'mul'
    assert cfg.model.decode_head.loss_decode.avg_non_ignore  # F.cross_entropy's mean
    ds = cfg.test_dataloader.dataset
    assert (ds.type, ds.dataset, ds.split_by) == ('RefCOCODataset', 'refcoco', 'unc')
    assert [s.type for s in cfg.test_pipeline] == [s.type for s in ds.pipeline]
    assert 'Resize' not in [s.type for s in cfg.test_pipeline]  # own resolution (test.py)
    assert cfg.test_evaluator.empty_union_iou == 0.0
    assert cfg.test_cfg == dict(type='TestLoop')
    ckpt = torch.load(osp.join(out, 'model.pth'), weights_only=True, mmap=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta']['converter'] == 'refvos_to_mmsegsup'
    keys = set(ckpt['state_dict'])
    assert not [k for k in keys if 'pooler' in k or 'position_ids' in k or 'module.' in k]
    assert keys == set(converted[CASES[0]]['model'].state_dict())


def test_token_limit_and_test_set_from_args():
    """A2D / DAVIS models get 10 tokens (a2d.py:27, davis2017.py:45), RefCOCO+ 20; the test set
    follows args.dataset, at its own resolution."""
    tool = load_tool(CONVERTER)
    for dataset, tokens, ds_type in (('refcoco+', 20, 'RefCOCODataset'),
                                     ('a2d', 10, 'A2DSentencesDataset'),
                                     ('davis', 10, 'DAVISReferDataset')):
        cfg = refvos_model_cfg(train_args(dataset=dataset))
        assert cfg['text_encoder']['max_length'] == tokens, dataset
        parts = tool.test_parts(dataset, data_root='/data/x/')
        loader = parts['test_dataloader']['dataset']
        assert loader['type'] == ds_type and loader['data_root'] == '/data/x/'
        assert 'Resize' not in [s['type'] for s in loader['pipeline']]
    assert parts['test_evaluator']['data_root'] == '/data/x/'  # DAVIS: J&F on that copy
    assert tool.test_parts('refcoco+')['test_dataloader']['dataset']['dataset'] == 'refcoco+'


def _tiny_bert_folder(folder: str, fmt: str = 'safetensors') -> dict:
    """A BertForMaskedLM-style folder (``bert.`` prefix, ``cls.*`` MLM head) of a 2-layer
    64-d BERT; its weights follow the weight rule of their (prefixed) names."""
    from transformers import BertConfig, BertForMaskedLM
    config = BertConfig(vocab_size=64, hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=128, max_position_embeddings=32)
    sd = {k: rule_tensor(k, list(v.shape)) if v.is_floating_point() else v
          for k, v in BertForMaskedLM(config).state_dict().items()}
    sd = {k: v for k, v in sd.items() if not k.startswith('cls.predictions.decoder')}
    os.makedirs(folder)
    with open(osp.join(folder, 'config.json'), 'w') as f:
        json.dump(dict(config.to_dict(), architectures=['BertForMaskedLM']), f)
    if fmt == 'safetensors':
        from safetensors.torch import save_file
        save_file(sd, osp.join(folder, 'model.safetensors'))
    else:
        torch.save(sd, osp.join(folder, 'pytorch_model.bin'))
    return sd


def test_bert_folder_replaces_bert(tmp_path):
    """--bert-folder: the text encoder's weights and architecture are the folder's (prefix
    stripped, MLM head dropped); the vision weights stay the checkpoint's."""
    meta, _ = load_case(CASES[0])
    weights = cheap_weights(meta)
    weights['model']['classifier.aspp.embedding_project.0.weight'] = torch.zeros(()).expand(
        256, 64)  # the head of a 64-d BERT
    ckpt = write_published(str(tmp_path / 'ckpt.pth'), weights)
    folder_sd = _tiny_bert_folder(str(tmp_path / 'bert'))
    out = str(tmp_path / 'out')
    proc = run([CONVERTER, ckpt, out, '--bert-folder', str(tmp_path / 'bert')])
    assert 'wrote' in proc.stdout
    model = init_referring_model(osp.join(out, 'config.py'), osp.join(out, 'model.pth'))
    assert model.text_encoder.model.config.num_hidden_layers == 2
    ours = model.text_encoder.model.state_dict()
    expected = {k[len('bert.'):]: v for k, v in folder_sd.items()
                if k.startswith('bert.') and not k.startswith('bert.pooler')}
    assert set(ours) == set(expected)
    for k, v in expected.items():
        torch.testing.assert_close(ours[k], v, rtol=0, atol=0, msg=k)
    assert not model.backbone.conv1.weight.abs().sum()  # the checkpoint's (zero) weights
    # the same folder as pytorch_model.bin (weights-only load) reads alike
    bin_sd = _tiny_bert_folder(str(tmp_path / 'bert_bin'), fmt='bin')
    config, sd = read_bert_folder(str(tmp_path / 'bert_bin'))
    assert config['num_hidden_layers'] == 2 and set(sd) == {k[5:] for k in bin_sd
                                                            if k.startswith('bert.')}


def _convert_error(tmp_path, capsys, ckpt: str, *extra: str) -> str:
    """The CLI's stderr for a checkpoint it must refuse (exit 1, nothing written)."""
    out = tmp_path / 'refused'
    assert load_tool(CONVERTER).main([ckpt, str(out), *extra]) == 1
    assert not out.exists()
    return capsys.readouterr().err


def test_errors_name_file_and_what_was_expected(tmp_path, capsys):
    meta, _ = load_case(CASES[0])
    path = str(tmp_path / 'ckpt.pth')
    assert 'file not found' in _convert_error(tmp_path, capsys, path)
    assert 'rvos_to_mmsegsup.py' in _convert_error(tmp_path, capsys, str(tmp_path))  # a folder
    # not a RefVOS checkpoint: an mmengine checkpoint, a BiLSTM baseline
    torch.save(dict(state_dict={}, meta={}), path)
    err = _convert_error(tmp_path, capsys, path)
    assert path in err and 'not a RefVOS checkpoint' in err and 'bert_model' in err
    torch.save(dict(model={}, bilstm={}, fc_layer={}, args=train_args()), path)
    assert 'BiLSTM' in _convert_error(tmp_path, capsys, path)
    # args: a missing field, an unknown dataset, no args at all
    weights = cheap_weights(meta)
    write_published(path, weights, train_args(dataset=None))
    err = _convert_error(tmp_path, capsys, path)
    assert path in err and "args lacks 'dataset'" in err and 'token limit' in err
    write_published(path, weights, train_args(dataset='youtube'))
    assert "args.dataset 'youtube'" in _convert_error(tmp_path, capsys, path)
    write_published(path, weights, argparse.Namespace())
    assert "args lacks 'dataset'" in _convert_error(tmp_path, capsys, path)
    # unknown keys, named as in the original file
    weights['model']['aux_classifier.0.weight'] = torch.zeros(1)
    write_published(path, weights)
    err = _convert_error(tmp_path, capsys, path)
    assert "'model'['aux_classifier.0.weight']" in err and 'unknown key' in err
    del weights['model']['aux_classifier.0.weight']
    weights['bert_model']['cls.predictions.bias'] = torch.zeros(1)
    write_published(path, weights)
    assert "'bert_model'['cls.predictions.bias']" in _convert_error(tmp_path, capsys, path)
    del weights['bert_model']['cls.predictions.bias']
    # a shape mismatch: the key in both namings, the shape found and the one expected
    weights['model']['classifier.conv_2.weight'] = torch.zeros(3, 256, 1, 1)
    write_published(path, weights)
    err = _convert_error(tmp_path, capsys, path)
    assert "'model'['classifier.conv_2.weight'] has shape (3, 256, 1, 1)" in err
    assert 'expected (2, 256, 1, 1)' in err and 'decode_head.conv_seg.weight' in err
    # a missing key
    del weights['model']['classifier.conv_2.weight']
    write_published(path, weights)
    err = _convert_error(tmp_path, capsys, path)
    assert 'missing key' in err and 'decode_head.conv_seg.weight' in err
    # a BERT folder that is not one
    assert 'config.json' in _convert_error(tmp_path, capsys, path, '--bert-folder',
                                           str(tmp_path))


def test_tokenizer_option_is_checked(tmp_path, capsys):
    """--tokenizer: a missing folder, or a vocabulary other than the BERT's, is refused at
    conversion; a folder is written absolute, and one holding a tokenizer alone (as
    save_pretrained writes it, no config.json) tokenises in the converted model."""
    meta, _ = load_case(CASES[0])
    weights = cheap_weights(meta)
    path = write_published(str(tmp_path / 'ckpt.pth'), weights)
    err = _convert_error(tmp_path, capsys, path, '--tokenizer', str(tmp_path / 'absent'))
    assert 'absent not found' in err and 'pass --tokenizer' in err
    folder = str(tmp_path / 'tok')
    AutoTokenizer.from_pretrained(MINILM, local_files_only=True).save_pretrained(folder)
    assert not osp.exists(osp.join(folder, 'config.json'))
    out = tmp_path / 'out'
    run([CONVERTER, path, str(out), '--tokenizer', folder])
    enc = Config.fromfile(str(out / 'config.py')).model.text_encoder
    assert enc.model_name_or_path == folder
    small = HFTextEncoder(enc.model_name_or_path, pooling='cls', model_config=dict(
        model_type='bert', hidden_size=32, num_hidden_layers=1, num_attention_heads=1,
        intermediate_size=32))
    assert small.tokenizer.encode(SENTENCE) == [101, 1996, 2158, 2006, 1996, 2187, 102]
    # a BERT with bert-base-cased's 28996 word embeddings and the uncased tokenizer
    weights['bert_model']['embeddings.word_embeddings.weight'] = torch.zeros(()).expand(
        28996, 768)
    write_published(path, weights)
    err = _convert_error(tmp_path, capsys, path, '--tokenizer', folder)
    assert 'has 30522 tokens' in err and '28996 word embeddings' in err and path in err


class _Evil:
    """Unpickling it would run a shell command that creates ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _EvilNamespace(argparse.Namespace):
    """A Namespace look-alike: its pickle names this test module's class, not argparse's."""


def test_malicious_pickle_refused(tmp_path, capsys):
    """A checkpoint whose pickle would call os.system is refused naming the global; the
    command never runs, also in a real process; the Namespace allowance does not outlive the
    load."""
    meta, _ = load_case(CASES[0])
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    write_published(path, cheap_weights(meta), args=_Evil(str(marker)))
    err = _convert_error(tmp_path, capsys, path)
    assert 'refused' in err and 'system' in err and path in err and 'weights_only' not in err
    assert not marker.exists()
    proc = run([CONVERTER, path, str(tmp_path / 'o')], subprocess=True, check=False)
    assert proc.returncode == 1 and 'refused' in proc.stderr, proc.stderr
    assert not marker.exists() and not (tmp_path / 'o').exists()
    write_published(path, cheap_weights(meta), args=_EvilNamespace(dataset='refcoco'))
    assert 'refused' in _convert_error(tmp_path, capsys, path)
    torch.save(dict(args=train_args()), path)
    with pytest.raises(Exception, match='Namespace'):
        torch.load(path, weights_only=True)
    assert not marker.exists()


# ------------------------------------------------ a converted model through the user tools

DEMO = 'tools/demo/refvos_demo.py'
# The bundled all-MiniLM-L6-v2 (nreimers/MiniLM-L6-H384-uncased) ships bert-base-uncased's
# WordPiece tokenizer; test_bundled_tokenizer_is_bert_base_uncased checks it, so an offline
# converted model tokenises as the original's BertTokenizer.from_pretrained('bert-base-uncased').
MINILM = resolve_text_model('minilm-offline')
# the whole-set values (not trivial/..., non-trivial/...) of mmengine's test log line
METRIC = re.compile(r'\s(overall_iou|mean_iou|prec@0\.[5-9]): (-?[0-9.]+)')
VAL_MASKS = {201: MASK_201, 302: MASK_302}  # the tiny refer folder's val referents
SENTENCE = 'the man on the left'


@pytest.fixture(scope='module')
def offline(published, tmp_path_factory) -> dict:
    """CASES[0]'s checkpoint converted for offline use (--tokenizer the bundled MiniLM's, a
    tiny RefCOCO refer folder as --data-root), and that conversion loaded once: what the
    tools must write is predicted with it."""
    tmp = tmp_path_factory.mktemp('refvos_offline')
    refer = write_refer_root(str(tmp / 'refer'))
    out = tmp / 'converted'
    proc = run([CONVERTER, published[CASES[0]], str(out), '--tokenizer', MINILM,
                '--data-root', refer])
    config, ckpt = str(out / 'config.py'), str(out / 'model.pth')
    return dict(refer=refer, config=config, checkpoint=ckpt, stdout=proc.stdout,
                model=init_referring_model(config, ckpt))


def _mask(model, image, sentence: str) -> np.ndarray:
    return inference_referring(model, image, sentence).pred_sem_seg.data[0].numpy()


def test_bundled_tokenizer_is_bert_base_uncased(offline):
    """The converted model's tokenizer (the MiniLM folder) is BertTokenizer with its defaults
    (do_lower_case, accents stripped, CJK split: bert-base-uncased's tokenizer_config sets
    only do_lower_case) on the same 30522-entry vocabulary, with bert-base-uncased's ids."""
    enc = Config.fromfile(offline['config']).model.text_encoder
    assert enc.model_name_or_path == MINILM and osp.isabs(MINILM)
    assert f'tokenizer {MINILM}' in offline['stdout']
    tok = offline['model'].text_encoder.tokenizer
    default = BertTokenizer(vocab=osp.join(MINILM, 'vocab.txt'))
    assert len(tok) == len(default) == 30522
    assert tok.encode(SENTENCE) == [101, 1996, 2158, 2006, 1996, 2187, 102]
    assert tok.convert_ids_to_tokens([0, 100, 101, 102, 103]) == [
        '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    for text in ('A Café, naïve résumé!', 'Two DOGS.  frisbee-catching 42 cats 北京',
                 'the guy in   white\tshirt'):
        assert tok.encode(text) == default.encode(text), text
    assert tok.encode('Café') == tok.encode('cafe')


def test_demo_on_an_image(offline, tmp_path):
    """The referring demo writes the overlay of the model's mask, at the image's own (odd)
    size."""
    img = np.zeros((45, 61, 3), np.uint8)
    img[..., 0] = np.arange(61)[None] * 4
    img[5:30, 10:40] = (30, 200, 90)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, img)
    out = str(tmp_path / 'out' / 'overlay.png')
    proc = run([DEMO, path, SENTENCE, '--config', offline['config'], '--checkpoint',
                offline['checkpoint'], '--out', out])
    assert f'wrote {out}' in proc.stdout
    mask = _mask(offline['model'], path, SENTENCE)
    assert mask.shape == img.shape[:2] and 0 < mask.mean() < 1
    written = cv2.imread(out, cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(written, load_tool(DEMO).overlay(img, mask))


def test_demo_on_a_frame_folder(offline, tmp_path):
    """A folder of frames gives an mp4 with one overlay per frame at the frames' size (even:
    mp4v crops odd sizes), closer to the model's overlays than to the plain frames."""
    frames = []
    os.makedirs(tmp_path / 'frames')
    for i in range(3):
        frame = np.full((38, 54, 3), 90, np.uint8)
        frame[4 + 3 * i:24 + 3 * i, 6 + 5 * i:30 + 5 * i] = (220, 220, 220)
        cv2.imwrite(str(tmp_path / 'frames' / f'{i:05d}.png'), frame)
        frames.append(frame)
    out = str(tmp_path / 'overlay.mp4')
    proc = run([DEMO, str(tmp_path / 'frames'), SENTENCE, '--config', offline['config'],
                '--checkpoint', offline['checkpoint'], '--out', out])
    assert f'wrote 3 frames to {out}' in proc.stdout
    overlay = load_tool(DEMO).overlay
    masks = [_mask(offline['model'], f, SENTENCE) for f in frames]
    assert all(m.shape == (38, 54) for m in masks) and sum(m.sum() for m in masks) > 0
    cap = cv2.VideoCapture(out)
    decoded = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        decoded.append(frame.astype(np.float32))
    cap.release()
    assert [f.shape for f in decoded] == [(38, 54, 3)] * 3
    to_overlay = np.mean([np.abs(d - overlay(f, m)).mean()
                          for d, f, m in zip(decoded, frames, masks)])
    to_frames = np.mean([np.abs(d - f).mean() for d, f in zip(decoded, frames)])
    assert to_overlay < to_frames / 2, (to_overlay, to_frames)


def test_tools_test_on_the_refer_layout(offline, tmp_path):
    """tools/test.py on a RefCOCO refer folder (val: 3 sentences of 2 referents, images at
    their own 16x24 / 18x18) prints overall IoU, mean IoU and prec@0.5-0.9 in [0, 100], equal
    to the original's definitions (test.py:108-157; an empty union is IoU 0) computed here
    from the model's masks."""
    proc = run(['tools/test.py', offline['config'], offline['checkpoint'], '--work-dir',
                str(tmp_path / 'work'), '--cfg-options', 'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False'])
    printed = {k: float(v) for k, v in METRIC.findall(proc.stdout + proc.stderr)}
    assert sorted(printed) == ['mean_iou', 'overall_iou'] + [f'prec@0.{k}' for k in range(5, 10)]
    assert all(0 <= v <= 100 for v in printed.values()), printed
    cfg = Config.fromfile(offline['config'])
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        dataset = SEG_DATASETS.build(cfg.test_dataloader.dataset)
    inter, union = [], []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        pred = _mask(offline['model'], info['img_path'], info['expression']) == 1
        gt = VAL_MASKS[info['object_id']] == 1
        assert pred.shape == gt.shape
        inter.append(int((pred & gt).sum()))
        union.append(int((pred | gt).sum()))
    assert len(dataset) == 3 and sum(union) > 0
    iou = [i / u if u else 0.0 for i, u in zip(inter, union)]
    expected = dict(overall_iou=100 * sum(inter) / sum(union), mean_iou=100 * np.mean(iou))
    expected.update({f'prec@0.{k}': 100 * np.mean([v >= k / 10 for v in iou])
                     for k in range(5, 10)})
    assert printed == pytest.approx(expected, abs=1e-3)


def test_unloadable_tokenizer_folder_is_named(tmp_path):
    """A tokenizer folder whose files do not load gets one error naming the folder and why
    (this path raised a NameError before the failure-reason helper was shared)."""
    from mmsegsup.models.converters.refvos import RefVOSCheckpointError, check_tokenizer
    (tmp_path / 'tokenizer_config.json').write_text('{broken')
    with pytest.raises(RefVOSCheckpointError, match='not a loadable tokenizer folder.*JSONDecode'):
        check_tokenizer(str(tmp_path), 30522, 'ck.pth')
