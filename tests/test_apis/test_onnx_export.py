"""ONNX export (RVOS per frame, RSIS and RefVOS per image) and the onnxruntime backends (issue
29)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmsegsup.apis import (inference_image, inference_referring, inference_video, init_model,
                           init_referring_model)
from mmsegsup.apis.onnx_backend import ORTImageModel, ORTReferringModel, ORTVideoModel
from mmsegsup.apis.onnx_export import export_refvos, export_rsis_image, export_rvos_frame
from mmsegsup.cli.export_onnx import main as export_main
from mmsegsup.models.vos import VOSInferenceCore
from tools_utils import REPO

CFG = 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_{}_cpu.py'


def _model(mode: str, **head):
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(REPO, CFG.format(mode)))
    cfg.model.head.update(head)
    return init_model(cfg)


def _video(h: int, w: int, num: int = 4):
    """Frames and the masks given at each: object 1 first, object 2 late (frame 2)."""
    gen = torch.Generator().manual_seed(1)
    a, b = torch.zeros(h, w), torch.zeros(h, w)
    a[5:30, 5:30] = 1
    b[h // 2:h - 4, 20:50] = 1
    given = [{1: a}, {}, {2: b}] + [{}] * (num - 3)
    return [torch.randn(1, 3, h, w, generator=gen) for _ in range(num)], given


def _run(model, images, given):
    core = VOSInferenceCore(model)
    return [core.step(image, g) for image, g in zip(images, given)]


def _assert_same(ref, out):
    for t, (a, b) in enumerate(zip(ref, out)):
        assert a.ids == b.ids, t
        for name in ('probs', 'stop', 'cls_probs'):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), name
            if x is not None:
                np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-4, err_msg=f'{t} {name}')


@pytest.mark.parametrize('mode,head', [('oneshot', {}), ('oneshot', dict(recurrence='T')),
                                       ('zeroshot', dict(num_classes=3, with_stop=True))])
def test_onnxruntime_equals_torch_any_size(tmp_path, mode, head):
    model = _model(mode, **head)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    path = str(tmp_path / 'rvos.onnx')
    export_rvos_frame(model, path, num_slots=3 if mode == 'oneshot' else None)
    assert not model.training  # the export traced a copy
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    backend = ORTVideoModel(path)
    for h, w in ((64, 96), (96, 64)):  # the traced size and another one
        images, given = _video(h, w)
        if mode == 'zeroshot':
            given = [{}] * len(images)
        _assert_same(_run(model, images, given), _run(backend, images, given))
    # one file for any count: object 1, then 1 and 2 ran the sub-graphs of their slots
    assert sorted(backend.head.sessions) == ([1, 2, 3] if mode == 'oneshot'
                                             else [backend.head.num_slots])


def test_bad_inputs_get_clear_errors(tmp_path):
    model = _model('oneshot')
    path = str(tmp_path / 'rvos.onnx')
    assert export_main([osp.join(REPO, CFG.format('oneshot')), 'none', path,
                        '--num-slots', '1']) == 1  # no such checkpoint file
    export_rvos_frame(model, path, num_slots=1)
    backend = ORTVideoModel(path)
    images, given = _video(64, 64)
    with pytest.raises(ValueError, match='at most 1'):
        _run(backend, images, given)  # a second object in a graph of one slot
    with pytest.raises(ValueError, match=r'one image \(1, 3, H, W\)'):
        VOSInferenceCore(backend).step(torch.zeros(1, 1, 64, 64), given[0])
    # another kind of ONNX file, and not an ONNX file at all
    other = str(tmp_path / 'other.onnx')
    torch.onnx.export(torch.nn.Conv2d(3, 1, 1), (torch.zeros(1, 3, 8, 8), ), other,
                      dynamo=False)
    with pytest.raises(ValueError, match='not an mmsegsup export'):
        ORTVideoModel(other)
    junk = tmp_path / 'junk.onnx'
    junk.write_bytes(b'not a model')
    with pytest.raises(ValueError, match='not a readable ONNX model'):
        ORTVideoModel(str(junk))


def test_cli_exports_a_checkpoint(tmp_path, capsys):
    model = _model('oneshot')
    ckpt = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = str(tmp_path / 'rvos.onnx')
    assert export_main([osp.join(REPO, CFG.format('oneshot')), ckpt, out,
                        '--num-slots', '2']) == 0
    assert 'RVOS frame graph, 2 slots' in capsys.readouterr().out
    images, given = _video(64, 64, 3)
    _assert_same(_run(model, images, given), _run(ORTVideoModel(out), images, given))


RSIS_CFG = 'configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py'


@pytest.mark.slow  # an end-to-end tool run (15-40 s): kept out of the 5-min fast suite
def test_rsis_onnxruntime_equals_torch(tmp_path, capsys):
    torch.manual_seed(0)
    model = init_model(osp.join(REPO, RSIS_CFG))
    ckpt, out = str(tmp_path / 'rsis.pth'), str(tmp_path / 'rsis.onnx')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    assert export_main([osp.join(REPO, RSIS_CFG), ckpt, out]) == 0
    assert 'RSIS image graph' in capsys.readouterr().out
    backend = ORTImageModel(out)
    head = model.bbox_head
    fixed = backend.meta['input_size']  # the CPU config pools with the mask: a fixed size
    assert fixed == ([64, 96] if 'mask' in head.decoder.pooling else None)
    for shape in ((1, 3, 64, 96), (2, 3, 64, 96)) if fixed else ((1, 3, 64, 64), (2, 3, 96, 64)):
        x = torch.randn(*shape)
        with torch.no_grad():
            ref = head.step_probs(head(model.extract_feat(x)),
                                  [dict(batch_input_shape=x.shape[-2:])] * len(x))
        got = backend.step_probs(x)
        assert set(ref) <= set(got)
        for key, value in ref.items():
            np.testing.assert_allclose(got[key].numpy(), value.numpy(), atol=1e-4, err_msg=key)
    image = np.random.default_rng(0).integers(0, 255, (64, 96, 3), dtype=np.uint8)
    head.test_cfg['stop_thr'] = 0.0  # every step an instance: the random model's stop is low
    ref, got = (inference_image(model, [image], backend=b)[0].pred_instances
                for b in (None, backend))  # the API: the head's rule on either backend
    np.testing.assert_allclose(got.scores.numpy(), ref.scores.numpy(), atol=1e-4)
    assert len(ref) == head.max_steps and got.labels.tolist() == ref.labels.tolist()
    assert (got.masks != ref.masks).float().mean() < 1e-3
    if fixed:
        with pytest.raises(ValueError, match='exported for 64x96 inputs'):
            backend.step_probs(torch.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match=r'images \(B, 3, H, W\)'):
        backend.step_probs(torch.zeros(3, 64, 64))
    with pytest.raises(ValueError, match="'rsis_image' export"):
        ORTVideoModel(out)  # an RSIS file where an RVOS frame graph is expected
    head.weak_filter = object()
    with pytest.raises(ValueError, match='weak-label filter'):
        export_rsis_image(model, out)


def test_inference_video_on_the_onnxruntime_backend(tmp_path):
    model = _model('oneshot')
    path = str(tmp_path / 'rvos.onnx')
    export_rvos_frame(model, path, num_slots=2)
    gen = np.random.default_rng(0)
    frames = [gen.integers(0, 255, (64, 96, 3), dtype=np.uint8) for _ in range(3)]
    first = np.zeros((64, 96), np.uint8)
    first[5:30, 5:40], first[35:60, 50:90] = 1, 2
    torch_maps = [m for _, m in inference_video(model, frames, first)]
    ort_maps = [m for _, m in inference_video(model, frames, first,
                                              backend=ORTVideoModel(path))]
    for a, b in zip(torch_maps, ort_maps):
        assert (a != b).mean() < 1e-3  # the same maps but for pixels at the threshold


REFVOS_CFG = 'configs/refvos/refvos_r18-c16_referring-shapes-64x64_cpu.py'
SENTENCES = ('the red circle on the left', 'a square')


def _refvos(tmp_path):
    """A randomly initialised CPU RefVOS (the bundled MiniLM encoder) saved as a checkpoint."""
    torch.manual_seed(0)
    model = init_referring_model(osp.join(REPO, REFVOS_CFG))
    ckpt = str(tmp_path / 'refvos.pth')
    meta = dict(dataset_meta=dict(classes=['background', 'referent'],
                                  palette=[[0, 0, 0], [255, 255, 255]]))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), ckpt)
    return model, ckpt


def _tokens(model, sentences):
    tokens = model.text_encoder.tokenize(list(sentences))
    return tokens['input_ids'], tokens['attention_mask']


def test_refvos_onnxruntime_equals_torch(tmp_path, capsys):
    """The CLI export (BERT-style encoder included) equals RefVOS.encode_decode at the traced
    and other sizes, batches and sentence lengths; inference_referring gives the same masks."""
    model, ckpt = _refvos(tmp_path)
    out = str(tmp_path / 'refvos.onnx')
    assert export_main([osp.join(REPO, REFVOS_CFG), ckpt, out]) == 0
    assert 'RefVOS image graph, text encoder included' in capsys.readouterr().out
    backend = ORTReferringModel(out)
    gen = torch.Generator().manual_seed(2)
    for shape, sentences in (((2, 3, 64, 96), SENTENCES), ((1, 3, 97, 141), SENTENCES[:1]),
                             ((3, 3, 48, 40), ('x', ) * 3)):
        images = torch.randn(*shape, generator=gen)
        ids, mask = _tokens(model, sentences * (shape[0] // len(sentences)))
        with torch.no_grad():
            emb = model.text_encoder.encode_ids(ids, mask)
            ref = model.encode_decode(images, [dict(img_shape=shape[2:])] * shape[0], emb)
        got = backend.logits(images, ids, mask)
        np.testing.assert_allclose(got.numpy(), ref.numpy(), atol=1e-4, err_msg=str(shape))
    frames = [np.random.default_rng(i).integers(0, 255, (64, 80, 3), dtype=np.uint8)
              for i in range(3)]
    ref = inference_referring(model, frames, SENTENCES[0], batch_size=2)
    got = inference_referring(model, frames, SENTENCES[0], batch_size=2, backend=backend)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b.seg_logits.data.numpy(), a.seg_logits.data.numpy(),
                                   atol=1e-4)
        assert (a.pred_sem_seg.data != b.pred_sem_seg.data).float().mean() < 1e-3


def test_visual_only_refvos_graph_takes_the_image_alone(tmp_path):
    """fusion='none' (no text encoder): the graph's only input is the image."""
    torch.manual_seed(0)
    model = init_referring_model(osp.join(REPO, REFVOS_CFG),
                                 cfg_options={'model.decode_head.fusion': 'none'})
    out = str(tmp_path / 'visual.onnx')
    export_refvos(model, out)
    backend = ORTReferringModel(out)
    assert [i.name for i in backend.sess.get_inputs()] == ['image']
    frame = np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    ref, got = (inference_referring(model, frame, 'ignored', backend=b) for b in (None, backend))
    np.testing.assert_allclose(got.seg_logits.data.numpy(), ref.seg_logits.data.numpy(),
                               atol=1e-4)


def test_refvos_bad_inputs_get_clear_errors(tmp_path, capsys):
    model, ckpt = _refvos(tmp_path)
    cfg = osp.join(REPO, REFVOS_CFG)
    out = str(tmp_path / 'refvos.onnx')
    slide = tmp_path / 'slide.py'  # a config the exporter cannot trace
    slide.write_text(f'_base_ = [{cfg!r}]\nmodel = dict(test_cfg=dict(mode="slide", '
                     'crop_size=(32, 32), stride=(16, 16)))\n')
    assert export_main([str(slide), ckpt, out]) == 1
    assert f"error: {slide}: cannot export test_cfg.mode='slide'" in capsys.readouterr().err
    export_refvos(model, out)
    backend = ORTReferringModel(out)
    ids, mask = _tokens(model, SENTENCES)
    with pytest.raises(ValueError, match=r'refvos.onnx: input_ids must be \(B, L\) = \(1, '):
        backend.logits(torch.zeros(1, 3, 32, 32), ids, mask)
    with pytest.raises(ValueError, match=r'refvos.onnx: token ids must lie in \[0, 30522\)'):
        backend.logits(torch.zeros(2, 3, 32, 32), ids + 40000, mask)
    with pytest.raises(ValueError, match=r'refvos.onnx: the image graph takes images'):
        backend.logits(torch.zeros(2, 1, 32, 32), ids, mask)
    with pytest.raises(ValueError, match='give its input_ids and attention_mask'):
        backend.logits(torch.zeros(2, 3, 32, 32))
    # a file of another kind, either way round, and another kind of backend for the API
    rvos = str(tmp_path / 'rvos.onnx')
    export_rvos_frame(_model('oneshot'), rvos, num_slots=1)
    with pytest.raises(ValueError, match="rvos.onnx is an mmsegsup 'rvos_frame' export; "
                                         "expected a 'refvos_image' export"):
        ORTReferringModel(rvos)
    with pytest.raises(ValueError, match="refvos.onnx is an mmsegsup 'refvos_image' export"):
        ORTVideoModel(out)
    with pytest.raises(ValueError, match=r"inference_referring runs a 'refvos_image' graph "
                                         r"\(ORTReferringModel\), got ORTVideoModel of .*rvos"):
        inference_referring(model, [np.zeros((8, 8, 3), np.uint8)], 'x',
                            backend=ORTVideoModel(rvos))


@pytest.mark.slow(minutes=2)  # a 0.6 GB published checkpoint converted, BERT-base exported
def test_refvos_original_cases_on_onnxruntime(tmp_path, capsys):
    """The thesis RefVOS converted from its published layout (weight rule), exported by the CLI
    (BERT-base in the graph): onnxruntime gives the original code's logits on every case
    (sizes, batch, token limits) from its token ids, within 1e-4."""
    from refvos_refs_utils import CASES, load_case, original_weights, write_published

    from mmsegsup.utils.tool_runner import load_tool
    meta, _ = load_case(CASES[0])
    published = write_published(str(tmp_path / 'published.pth'), original_weights(meta))
    converted = tmp_path / 'converted'
    assert load_tool('tools/model_converters/refvos_to_mmsegsup.py').main(
        [published, str(converted)]) == 0
    os.remove(published)
    out = str(tmp_path / 'refvos.onnx')
    assert export_main([str(converted / 'config.py'), str(converted / 'model.pth'), out]) == 0
    assert 'RefVOS image graph, text encoder included' in capsys.readouterr().out
    backend = ORTReferringModel(out)
    for case in CASES:
        _, arr = load_case(case)
        logits = backend.logits(*(torch.from_numpy(arr[k])
                                  for k in ('images', 'input_ids', 'attention_mask')))
        np.testing.assert_allclose(logits.numpy(), arr['logits'], atol=1e-4, err_msg=case)
