"""The demos' ``--backend onnxruntime`` (issue 29): the video demo (frame graph exported on the
fly), the referring demo (``--onnx`` of tools/deployment/export_onnx.py) and the image demo
write what their PyTorch runs write; a wrong ``--onnx`` is refused by name."""
import glob
import os
import os.path as osp
import tempfile

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from mmsegsup.apis import inference_image, init_model, init_referring_model
from mmsegsup.formats.index_png import write_index_png
from mmsegsup.formats.palettes import DAVIS_PALETTE
from tools_utils import CPU_CONFIG, REPO, run

RVOS_CFG = osp.join(REPO, 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py')
REFVOS_CFG = osp.join(REPO, 'configs/refvos/refvos_r18-c16_referring-shapes-64x64_cpu.py')
META = dict(dataset_meta=dict(classes=['background', 'referent'],
                              palette=[[0, 0, 0], [255, 255, 255]]))


def _checkpoint(init, config: str, path) -> str:
    """The model of ``config`` built by ``init`` from seed 0 (random weights), saved."""
    torch.manual_seed(0)
    torch.save(dict(state_dict=init(config).state_dict(), meta=META), str(path))
    return str(path)


def _frames(folder, num: int = 4, size=(64, 96)) -> str:
    """Smooth random frames (objects the random model can follow) as PNGs."""
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    for t in range(num):
        small = rng.integers(0, 255, (8, 12, 3), dtype=np.uint8)
        cv2.imwrite(osp.join(folder, f'{t:05d}.png'), cv2.resize(small, size[::-1]))
    return str(folder)


def _both_backends(argv: list, out_flag: str, out_of, onnx_args: tuple = ()) -> tuple:
    """The demo ``argv`` run with ``--backend pytorch`` and ``onnxruntime`` (plus
    ``onnx_args``), each writing to ``out_of(backend)``: ({backend: output}, last run)."""
    outs = {}
    for backend in ('pytorch', 'onnxruntime'):
        outs[backend] = out_of(backend)
        proc = run(argv + [out_flag, outs[backend], '--backend', backend]
                   + (list(onnx_args) if backend == 'onnxruntime' else []))
    return outs, proc


def _masks(folder) -> list:
    names = sorted(os.listdir(osp.join(folder, 'masks')))
    return [np.array(Image.open(osp.join(folder, 'masks', n))) for n in names]


def test_video_demo_on_onnxruntime_writes_the_pytorch_masks(tmp_path):
    ckpt = _checkpoint(init_model, RVOS_CFG, tmp_path / 'rvos.pth')
    frames = _frames(tmp_path / 'frames')
    first = np.zeros((64, 96), np.uint8)
    first[5:30, 5:40], first[35:60, 50:90] = 1, 2
    write_index_png(first, str(tmp_path / 'first.png'), DAVIS_PALETTE)
    exports = osp.join(tempfile.gettempdir(), 'mmsegsup_onnx_*')
    before = set(glob.glob(exports))
    outs, proc = _both_backends(['tools/demo/video_demo.py', frames, RVOS_CFG, ckpt,
                                 '--first-mask', str(tmp_path / 'first.png'), '--gif'],
                                '--out-dir', lambda b: str(tmp_path / b))
    assert 'exported the RVOS frame graph' in proc.stdout  # no --onnx: exported on the fly
    assert set(glob.glob(exports)) == before  # and the temporary file removed after the run
    ref, got = _masks(outs['pytorch']), _masks(outs['onnxruntime'])
    assert len(ref) == len(got) == 4
    assert any(m.any() for m in ref[1:])  # the later frames are predictions, not empty
    for a, b in zip(ref, got):
        assert a.shape == b.shape and (a != b).mean() < 1e-3


def test_refvos_demo_with_an_exported_file(tmp_path):
    ckpt = _checkpoint(init_referring_model, REFVOS_CFG, tmp_path / 'refvos.pth')
    onnx = str(tmp_path / 'refvos.onnx')
    proc = run(['tools/deployment/export_onnx.py', REFVOS_CFG, ckpt, onnx])
    assert f'wrote {onnx} (RefVOS image graph, text encoder included)' in proc.stdout
    image = osp.join(_frames(tmp_path / 'frames', 1, (45, 61)), '00000.png')
    outs, _ = _both_backends(['tools/demo/refvos_demo.py', image, 'the red circle', '--config',
                              REFVOS_CFG, '--checkpoint', ckpt], '--out',
                             lambda b: str(tmp_path / f'{b}.png'), ('--onnx', onnx))
    ref, got = (cv2.imread(outs[k]) for k in ('pytorch', 'onnxruntime'))
    assert ref.shape == (45, 61, 3) and not np.array_equal(ref, cv2.imread(image))
    np.testing.assert_array_equal(got, ref)


@pytest.mark.slow  # the RSIS export unrolls every recurrent step (about 20 s)
def test_image_demo_on_onnxruntime_draws_the_pytorch_picture(tmp_path):
    torch.manual_seed(0)
    model = init_model(CPU_CONFIG)
    ckpt = str(tmp_path / 'rsis.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(
        classes=['circle', 'square', 'triangle'], palette=[[220, 20, 60], [0, 0, 142],
                                                          [0, 255, 0]]))), ckpt)
    images = _frames(tmp_path / 'images', 2, (64, 64))
    config = tmp_path / 'every_step.py'  # every step an instance: the random stop is low
    config.write_text(f'_base_ = [{CPU_CONFIG!r}]\nmodel = dict(test_cfg=dict('
                      "rule='first_stop', stop_thr=0.0, mask_thr=0.5, score='cls_stop', "
                      'min_size=0.001, weak_filter=None))\n')
    outs, _ = _both_backends(['tools/demo/image_demo.py', images, str(config), ckpt,
                              '--score-thr', '0'], '--out-dir', lambda b: str(tmp_path / b))
    drawn = inference_image(init_model(str(config), ckpt), osp.join(images, '00000.png'))
    assert len(drawn.pred_instances) == model.bbox_head.max_steps
    for name in ('00000.png', '00001.png'):
        ref, got = (cv2.imread(osp.join(outs[k], name)) for k in ('pytorch', 'onnxruntime'))
        assert (ref != got).any(-1).mean() < 1e-3, name


def test_wrong_onnx_options_are_refused(tmp_path):
    ckpt = _checkpoint(init_referring_model, REFVOS_CFG, tmp_path / 'refvos.pth')
    rvos = str(tmp_path / 'rvos.onnx')
    run(['tools/deployment/export_onnx.py', RVOS_CFG,
         _checkpoint(init_model, RVOS_CFG, tmp_path / 'rvos.pth'), rvos, '--num-slots', '1'])
    image = osp.join(_frames(tmp_path / 'frames', 1), '00000.png')
    base = ['tools/demo/refvos_demo.py', image, 'a dog', '--config', REFVOS_CFG,
            '--checkpoint', ckpt, '--out', str(tmp_path / 'o.png')]
    for extra, message in (
            (['--onnx', rvos], f'--onnx {rvos} runs with --backend onnxruntime only'),
            (['--backend', 'onnxruntime', '--onnx', rvos],
             f"{rvos} is an mmsegsup 'rvos_frame' export; expected a 'refvos_image' export"),
            (['--backend', 'onnxruntime', '--onnx', rvos + '.missing'], 'file not found')):
        proc = run(base + extra, check=False)
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr[-2000:]
    assert not osp.exists(tmp_path / 'o.png')
