"""Published RSIS checkpoints: convert, load through the public API, equal the original code."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample

from original_refs_utils import load_case, write_malicious_args, write_published
from tools_utils import REPO as ROOT

sys.path.insert(0, osp.join(ROOT, 'tools', 'model_converters'))
import rsis_to_mmsegsup  # noqa: E402

from mmsegsup.apis import init_model  # noqa: E402

CASES = ['rsis_r101_voc', 'rsis_r50_cityscapes_like']
SMALL = 'rsis_r50_cityscapes_like'
# Made here by running the original code (data/original_refs/rsis/make_extra_cases.py): other
# bases, hidden sizes, kernel 1, odd input sizes, other step counts; probabilities only.
EXTRA_CASES = ['rsis_r34_h64_odd67x101', 'rsis_r50_h32_k1_75x90']


def _eval_argv(meta):
    """eval.py's thresholds of the case as the converter's options."""
    ea = meta.get('eval_args', dict(stop_th=0.5, mask_th=0.5, min_size=0.001))
    return ['--stop-th', str(ea['stop_th']), '--mask-th', str(ea['mask_th']),
            '--min-size', str(ea['min_size'])]


def _convert(tmp, meta, **kw):
    folder = write_published(osp.join(str(tmp), 'published'), meta, **kw)
    out = osp.join(str(tmp), 'converted')
    assert rsis_to_mmsegsup.main([folder, out] + _eval_argv(meta)) == 0
    return init_model(osp.join(out, 'config.py'), osp.join(out, 'model.pth'))


def _samples(x, ori_hw):
    h, w = x.shape[-2:]
    return [DetDataSample(metainfo=dict(batch_input_shape=(h, w), img_shape=(h, w),
                                        ori_shape=tuple(ori_hw), scale_factor=(1.0, 1.0)))
            for _ in range(len(x))]


def _probs(model, x, ori_hw):
    with torch.no_grad():
        head = model.bbox_head
        return head.step_probs(head(model.extract_feat(x)),
                               [s.metainfo for s in _samples(x, ori_hw)])


def _compare_probs(probs, data):
    np.testing.assert_allclose(probs['mask_probs'].numpy(), data['mask_probs'], atol=2e-5)
    np.testing.assert_allclose(probs['cls_probs'].numpy(), data['class_probs'], atol=2e-5)
    np.testing.assert_allclose(probs['stop_probs'].numpy(), data['stop_probs'][..., 0],
                               atol=2e-5)


@pytest.fixture(scope='module', params=CASES)
def converted(request, tmp_path_factory):
    meta, data = load_case('rsis', request.param)
    return meta, data, _convert(tmp_path_factory.mktemp(request.param), meta)


def test_fixture_probs_equal_original(converted):
    meta, data, model = converted
    x = torch.from_numpy(data['x'])
    _compare_probs(_probs(model, x, meta['eval_orig_hw']), data)
    # The data preprocessor of the converted config makes the original's input from the image.
    images = [torch.from_numpy(np.ascontiguousarray(im[..., ::-1].transpose(2, 0, 1)))
              for im in data['image_uint8']]  # BGR, as LoadImageFromFile gives
    packed = model.data_preprocessor(dict(inputs=images, data_samples=_samples(x, x.shape[-2:])))
    np.testing.assert_allclose(packed['inputs'].numpy(), data['x'], atol=1e-5)


def test_fixture_eval_rule_equals_original(converted):
    """eval.py's per-image loop: kept / valid steps, the COCO results in order, their masks."""
    meta, data, model = converted
    x = torch.from_numpy(data['x'])
    ea, (h0, w0) = meta['eval_args'], meta['eval_orig_hw']
    with torch.no_grad():
        results = model.predict(x, _samples(x, (h0, w0)))
    stop = data['stop_probs'][..., 0]
    np.testing.assert_array_equal(stop >= ea['stop_th'], data['eval_kept'].astype(bool))
    # Probabilities at the original size, only to find pixels within float noise of mask_th.
    ref = F.interpolate(torch.from_numpy(data['mask_probs']), size=(h0, w0), mode='bilinear',
                        align_corners=True).numpy()
    for b, res in enumerate(results):
        inst = res.pred_instances
        sel = data['eval_pred_sample'] == b
        np.testing.assert_array_equal(inst.steps.numpy(), data['eval_pred_step'][sel])
        np.testing.assert_array_equal(inst.labels.numpy() + 1, data['eval_pred_class'][sel])
        np.testing.assert_allclose(inst.scores.numpy(), data['eval_pred_score'][sel], atol=2e-5)
        valid = np.zeros(stop.shape[1], bool)
        valid[inst.steps.numpy()] = True
        np.testing.assert_array_equal(valid, data['eval_valid'][b].astype(bool))
        assert tuple(inst.masks.shape[-2:]) == (h0, w0)
        for mask, step in zip(inst.masks.numpy(), inst.steps.numpy()):
            differ = mask != data['eval_seg'][b, step].astype(bool)
            assert np.all(np.abs(ref[b, step][differ] - ea['mask_th']) < 1e-6), (b, step)
        assert inst.bboxes.shape == (len(inst), 4)


@pytest.mark.parametrize('case', EXTRA_CASES)
def test_extra_cases_equal_original(tmp_path, case):
    meta, data = load_case('rsis', case)
    model = _convert(tmp_path, meta)
    x = torch.from_numpy(data['x'])
    _compare_probs(_probs(model, x, x.shape[-2:]), data)


def test_legacy_python2_module_prefix_odd_size(tmp_path):
    meta, data = load_case('rsis', SMALL)
    model = _convert(tmp_path, meta, module_prefix=True, legacy=True, pickle_protocol=0)
    x = torch.from_numpy(data['x'])
    _compare_probs(_probs(model, x, x.shape[-2:]), data)
    # Odd sizes (DAVIS's 240x427 kind) and batch 1, which the original cannot run.
    probs = _probs(model, x[:1, :, :67, :101], (67, 101))
    assert tuple(probs['mask_probs'].shape) == (1, meta['model_args']['maxseqlen'], 67, 101)


def test_malicious_args_refused(tmp_path, capsys):
    meta, _ = load_case('rsis', SMALL)
    folder = write_published(str(tmp_path / 'published'), meta)
    marker = tmp_path / 'pwned'
    write_malicious_args(folder, str(marker))
    assert rsis_to_mmsegsup.main([folder, str(tmp_path / 'out')]) == 1
    assert not marker.exists()
    assert 'refused' in capsys.readouterr().err


def test_errors_name_file_key_shape(tmp_path, capsys):
    meta, _ = load_case('rsis', SMALL)
    folder = write_published(str(tmp_path / 'p'), meta)
    out = str(tmp_path / 'o')

    def fails(*expected):
        assert rsis_to_mmsegsup.main([folder, out]) == 1
        err = capsys.readouterr().err
        assert all(e in err for e in expected), err

    dec = torch.load(osp.join(folder, 'decoder.pt'))
    dec['fc_class.weight'] = torch.zeros(9, 100)
    torch.save(dec, osp.join(folder, 'decoder.pt'))
    fails('bbox_head.fc_cls.weight', '(9, 100)', '(9, 248)')
    dec['fc_class.weight'] = torch.zeros(9, 248)
    dec['extra.weight'] = torch.zeros(1)
    torch.save(dec, osp.join(folder, 'decoder.pt'))
    fails('decoder.extra.weight', 'unexpected')
    del dec['extra.weight'], dec['fc_stop.bias']
    torch.save(dec, osp.join(folder, 'decoder.pt'))
    fails('missing', 'bbox_head.fc_stop.bias')
    enc = torch.load(osp.join(folder, 'encoder.pt'))
    torch.save({k: v for k, v in enc.items() if not k.startswith(('sk1.', 'bn1.'))},
               osp.join(folder, 'encoder.pt'))
    fails('RVOS checkpoint', 'rvos_to_mmsegsup.py')
    os.remove(osp.join(folder, 'encoder.pt'))
    fails('encoder.pt: file not found')
    assert not osp.exists(osp.join(out, 'model.pth'))


@pytest.mark.slow  # 15-19 s: a fresh interpreter (or two DDP processes)
def test_cli_subprocess(tmp_path):
    meta, _ = load_case('rsis', SMALL)
    folder = write_published(str(tmp_path / 'p'), meta)
    out = tmp_path / 'o'
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tools', 'model_converters',
                                                    'rsis_to_mmsegsup.py'), folder, str(out),
                           '--maxseqlen', '5'],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    ckpt = torch.load(out / 'model.pth', weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert ckpt['meta']['dataset_meta']['classes'][0] == 'person'  # <eos> dropped
    text = (out / 'config.py').read_text()
    assert "rule='original'" in text and 'max_steps=5' in text


def test_runner_test_writes_original_coco_results(tmp_path):
    """What tools/test.py runs (the converted config's test loop and CocoMetric) on PNGs of the
    fixture's images gives eval.py's COCO results: same order, classes and scores."""
    import json

    import mmcv
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    meta, data = load_case('rsis', SMALL)
    folder = write_published(str(tmp_path / 'p'), meta)
    out = str(tmp_path / 'o')
    assert rsis_to_mmsegsup.main([folder, out] + _eval_argv(meta)) == 0
    h, w = data['x'].shape[-2:]
    images, anns = [], []
    for i, im in enumerate(data['image_uint8']):
        mmcv.imwrite(im[..., ::-1], str(tmp_path / 'img' / f'{i}.png'))
        images.append(dict(id=i, file_name=f'{i}.png', height=h, width=w))
        anns.append(dict(id=i + 1, image_id=i, category_id=1, iscrowd=0, area=400.0,
                         bbox=[10, 10, 20, 20], segmentation=[[10, 10, 30, 10, 30, 30, 10, 30]]))
    classes = [f'c{i}' for i in range(1, 9)]
    ann_file = str(tmp_path / 'ann.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=[
            dict(id=i + 1, name=n) for i, n in enumerate(classes)]), f)
    cfg = Config.fromfile(osp.join(out, 'config.py'))
    ds = cfg.test_dataloader.dataset
    ds.update(data_root=str(tmp_path), ann_file='ann.json', data_prefix=dict(img='img/'),
              metainfo=dict(classes=classes))
    ds.pipeline[1].scale = (w, h)  # the fixture's size: the resize is the identity
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.test_evaluator.update(ann_file=ann_file, outfile_prefix=str(tmp_path / 'res'))
    cfg.update(work_dir=str(tmp_path / 'work'), load_from=osp.join(out, 'model.pth'))
    with DefaultScope.overwrite_default_scope('mmsegsup'):
        Runner.from_cfg(cfg).test()
    with open(tmp_path / 'res.segm.json') as f:
        res = json.load(f)
    assert [r['image_id'] for r in res] == data['eval_pred_sample'].tolist()
    assert [r['category_id'] for r in res] == data['eval_pred_class'].tolist()
    np.testing.assert_allclose([r['score'] for r in res], data['eval_pred_score'], atol=2e-5)


def test_onnxruntime_image_graph_equals_original(tmp_path):
    """The converted model exported per image (at the fixture's size: the decoder pools with
    the mask) gives the original's step probabilities on onnxruntime."""
    from mmsegsup.apis.onnx_backend import ORTImageModel
    from mmsegsup.apis.onnx_export import export_rsis_image
    meta, data = load_case('rsis', SMALL)
    x = torch.from_numpy(data['x'])
    path = str(tmp_path / 'rsis.onnx')
    export_rsis_image(_convert(tmp_path, meta), path, size=tuple(x.shape[-2:]))
    probs = ORTImageModel(path).step_probs(x)
    np.testing.assert_allclose(probs['mask_probs'].numpy(), data['mask_probs'], atol=1e-4)
    np.testing.assert_allclose(probs['cls_probs'].numpy(), data['class_probs'], atol=1e-4)
    np.testing.assert_allclose(probs['stop_probs'].numpy(), data['stop_probs'][..., 0],
                               atol=1e-4)
