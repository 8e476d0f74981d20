"""ONNX export (RVOS per frame, RSIS per image) and the onnxruntime backends (issue 29)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmsegsup.apis import inference_video, init_model
from mmsegsup.apis.onnx_backend import ORTImageModel, ORTVideoModel
from mmsegsup.apis.onnx_export import export_rsis_image, export_rvos_frame
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
    refvos = osp.join(REPO, 'configs/refvos/refvos_r18-c16_referring-shapes-64x64_cpu.py')
    assert export_main([refvos, ckpt, out]) == 1
    assert 'cannot be exported yet' in capsys.readouterr().err


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
