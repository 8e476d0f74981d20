"""Published RVOS checkpoints: convert, load through the public API, equal the original code."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from original_refs_utils import load_case, write_malicious_args, write_published
from tools_utils import REPO as ROOT

sys.path.insert(0, osp.join(ROOT, 'tools', 'model_converters'))
import rvos_to_mmsegsup  # noqa: E402

from mmsegsup.apis import init_model  # noqa: E402
from mmsegsup.models.vos import VOSInferenceCore  # noqa: E402

CASES = ['rvos_oneshot_st_r101', 'rvos_oneshot_s_r101', 'rvos_oneshot_t_r101',
         'rvos_oneshot_st_r101_late_object', 'rvos_zeroshot_st_r101',
         # made here by running the original: data/original_refs/rvos/generate/README.md
         'rvos_oneshot_st_r34', 'rvos_oneshot_st_r50_davis_size',
         'rvos_oneshot_st_r101_two_late', 'rvos_zeroshot_st_r34_maxseqlen5',
         'rvos_oneshot_t_r50_k1_late_object']


def _convert(tmp_path, meta, **kw):
    folder = write_published(str(tmp_path / 'published'), meta, **kw)
    out = str(tmp_path / 'converted')
    assert rvos_to_mmsegsup.main([folder, out]) == 0
    return out


def _samples(meta, data):
    """Per frame, the ground truth of the objects that appear first at that frame."""
    num = data['all_masks'].shape[1]
    first = {i: 0 for i in range(1, num + 1)}
    first.update({int(k): int(v) for k, v in meta['late_objects'].items()})
    h, w = data['frames'].shape[-2:]
    for t in range(data['frames'].shape[0]):
        ids = [i for i in range(1, num + 1) if first[i] == t]
        masks = np.stack([data['all_masks'][t, i - 1] for i in ids]) if ids else np.zeros(
            (0, h, w), np.uint8)
        sample = DetDataSample(metainfo=dict(batch_input_shape=(h, w), img_shape=(h, w),
                                             ori_shape=(h, w)))
        sample.gt_instances = InstanceData(masks=BitmapMasks(masks, h, w),
                                           instances_ids=torch.tensor(ids, dtype=torch.long))
        yield sample


def _run(out, meta, data, object_ids=None, model=None):
    model = model or init_model(osp.join(out, 'config.py'), osp.join(out, 'model.pth'))
    frames = torch.from_numpy(data['frames'])
    images = (frames[t:t + 1] for t in range(len(frames)))
    return list(VOSInferenceCore(model).run(images, _samples(meta, data), object_ids))


def _compare(results, data):
    for t, res in enumerate(results):
        ref = data['probs'][t, [i - 1 for i in res.ids]]
        np.testing.assert_allclose(res.probs.numpy(), ref, atol=2e-5, err_msg=f'frame {t}')


@pytest.mark.parametrize('case', CASES)
def test_fixture_equals_original(tmp_path, case):
    meta, data = load_case('rvos', case)
    out = _convert(tmp_path, meta)
    model = init_model(osp.join(out, 'config.py'), osp.join(out, 'model.pth'))
    results = _run(out, meta, data, model=model)
    assert len(results) == data['frames'].shape[0]
    _compare(results, data)
    if model.head.one_shot:  # the video's ids announced: only the steps up to the highest run
        ids = range(1, data['all_masks'].shape[1] + 1)
        fewer = _run(out, meta, data, ids, model)
        for res, ref in zip(fewer, results):
            assert res.ids == ref.ids  # same maths, other kernel shapes: rounding only
            torch.testing.assert_close(res.probs, ref.probs, atol=1e-6, rtol=0)
        _compare(fewer, data)


def test_maxseqlen_of_the_eval_command_line(tmp_path):
    """--maxseqlen (eval scripts' -maxseqlen) sets the steps; step t never sees later steps,
    so the objects' probabilities stay the original's."""
    from mmengine.config import Config
    meta, data = load_case('rvos', 'rvos_oneshot_st_r101')
    folder = write_published(str(tmp_path / 'published'), meta)
    out = str(tmp_path / 'converted')
    assert rvos_to_mmsegsup.main([folder, out, '--maxseqlen', '3']) == 0
    assert Config.fromfile(osp.join(out, 'config.py')).model.head.num_slots == 3
    _compare(_run(out, meta, data), data)
    with pytest.raises(SystemExit):
        rvos_to_mmsegsup.main([folder, out, '--maxseqlen', '0'])


def test_legacy_python2_module_prefix(tmp_path):
    meta, data = load_case('rvos', 'rvos_oneshot_s_r101')
    out = _convert(tmp_path, meta, module_prefix=True, legacy=True, pickle_protocol=0)
    _compare(_run(out, meta, data), data)
    # Odd sizes (as DAVIS's 240x427): the ceil max-pool pyramid meets every level's size.
    odd = dict(frames=data['frames'][:2, :, :67, :101],
               all_masks=data['all_masks'][:2, :, :67, :101])
    results = _run(out, meta, odd)
    assert [tuple(r.probs.shape) for r in results] == [(2, 67, 101)] * 2


def test_malicious_args_refused(tmp_path, capsys):
    meta, _ = load_case('rvos', 'rvos_oneshot_s_r101')
    folder = write_published(str(tmp_path / 'published'), meta)
    marker = tmp_path / 'pwned'
    write_malicious_args(folder, str(marker))
    assert rvos_to_mmsegsup.main([folder, str(tmp_path / 'out')]) == 1
    assert not marker.exists()
    assert 'refused' in capsys.readouterr().err


def test_errors_name_file_key_shape(tmp_path, capsys):
    meta, _ = load_case('rvos', 'rvos_oneshot_s_r101')
    folder = write_published(str(tmp_path / 'p'), meta)
    dec = torch.load(osp.join(folder, 'decoder.pt'))
    dec['conv_out.weight'] = torch.zeros(1, 16, 5, 5)
    torch.save(dec, osp.join(folder, 'decoder.pt'))
    assert rvos_to_mmsegsup.main([folder, str(tmp_path / 'o')]) == 1
    err = capsys.readouterr().err
    assert 'head.decoder.conv_mask.weight' in err and '(1, 16, 3, 3)' in err
    dec['extra.weight'] = torch.zeros(1)
    dec['conv_out.weight'] = torch.zeros(1, 16, 3, 3)
    torch.save(dec, osp.join(folder, 'decoder.pt'))
    assert rvos_to_mmsegsup.main([folder, str(tmp_path / 'o')]) == 1
    assert 'decoder.extra.weight' in capsys.readouterr().err
    del dec['extra.weight'], dec['conv_out.bias']
    torch.save(dec, osp.join(folder, 'decoder.pt'))
    assert rvos_to_mmsegsup.main([folder, str(tmp_path / 'o')]) == 1
    assert 'missing' in capsys.readouterr().err
    import os
    os.remove(osp.join(folder, 'encoder.pt'))
    assert rvos_to_mmsegsup.main([folder, str(tmp_path / 'o')]) == 1
    assert 'encoder.pt: file not found' in capsys.readouterr().err
    enc = {'sk1.weight': torch.zeros(1)}
    torch.save(enc, osp.join(folder, 'encoder.pt'))
    assert rvos_to_mmsegsup.main([folder, str(tmp_path / 'o')]) == 1
    assert 'RSIS' in capsys.readouterr().err


@pytest.mark.slow  # 15-19 s: a fresh interpreter (or two DDP processes)
def test_cli_subprocess(tmp_path):
    meta, _ = load_case('rvos', 'rvos_oneshot_s_r101')
    folder = write_published(str(tmp_path / 'p'), meta)
    out = tmp_path / 'o'
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'model_converters',
                                                    'rvos_to_mmsegsup.py'), folder, str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    ckpt = torch.load(out / 'model.pth', weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert (out / 'config.py').is_file()


@pytest.mark.parametrize('case', ['rvos_oneshot_t_r50_k1_late_object',
                                  'rvos_oneshot_st_r101_two_late'])
def test_onnxruntime_frame_graph_equals_original(tmp_path, case):
    """The converted model exported per frame (RVOS-T: its first-frame wiring included) and
    run by the same core on onnxruntime gives the original's probabilities."""
    from mmsegsup.apis.onnx_backend import ORTVideoModel
    from mmsegsup.apis.onnx_export import export_rvos_frame
    meta, data = load_case('rvos', case)
    out = _convert(tmp_path, meta)
    model = init_model(osp.join(out, 'config.py'), osp.join(out, 'model.pth'))
    path = str(tmp_path / 'rvos.onnx')
    num = data['all_masks'].shape[1]
    export_rvos_frame(model, path, num_slots=num, size=tuple(data['frames'].shape[-2:]))
    results = _run(out, meta, data, range(1, num + 1), ORTVideoModel(path))
    for t, res in enumerate(results):
        ref = data['probs'][t, [i - 1 for i in res.ids]]
        np.testing.assert_allclose(res.probs.numpy(), ref, atol=1e-4, err_msg=f'frame {t}')
