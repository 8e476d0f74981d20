"""A converted one-shot RVOS model runs as converted: tools/test.py writes and scores DAVIS PNGs
for a DAVIS-layout folder, and the video demo segments a folder of frames."""
import os
import os.path as osp
import re
import shutil
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from original_refs_utils import load_case, write_published
from tools_utils import REPO, run

from mmsegsup.apis import inference_video, init_model, read_first_mask, read_frames
from mmsegsup.datasets.synthetic.videos import generate_shapes_videos
from mmsegsup.formats.palettes import DAVIS_PALETTE
from mmsegsup.evaluation.davis_eval import evaluate_davis

sys.path.insert(0, osp.join(REPO, 'tools', 'demo'))
import video_demo  # noqa: E402

pytestmark = pytest.mark.xdist_group('rvos_converted_tools')

CONVERTER = 'tools/model_converters/rvos_to_mmsegsup.py'
JF = re.compile(r'davis/J&F-Mean: ([0-9.]+)')
SIZE, FRAMES = 48, 4  # synthetic frames SIZE x SIZE; DAVIS scores frames 1..FRAMES-2
SCALE = (71, 41)  # the R101 at a small, odd (w, h) on CPU: resized back to SIZE x SIZE


def _resize(cfg: Config) -> tuple:
    """``(--cfg-options key, step)`` of the test pipeline's Resize (found, not assumed)."""
    for i, step in enumerate(cfg.test_dataloader.dataset.pipeline):
        for j, t in enumerate(step.get('transforms', [])):
            if t.type == 'Resize':
                return f'test_dataloader.dataset.pipeline.{i}.transforms.{j}.scale', t
    raise AssertionError('no Resize in the converted test pipeline')


@pytest.fixture(scope='module')
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The one-shot RVOS-ST R101 fixture converted for a 2-video DAVIS-layout folder."""
    tmp = tmp_path_factory.mktemp('rvos_converted')
    davis = str(tmp / 'davis')
    generate_shapes_videos(davis, 'val', num_videos=2, num_frames=FRAMES, seed=0, size=SIZE)
    meta, _ = load_case('rvos', 'rvos_oneshot_st_r101')
    folder = write_published(str(tmp / 'published'), meta)
    out = tmp / 'converted'
    run([CONVERTER, folder, str(out), '--dataset', 'davis-2017', '--data-root', davis])
    return dict(davis=davis, published=folder, config=str(out / 'config.py'),
                model=str(out / 'model.pth'))


def _index(path: str) -> np.ndarray:
    return np.array(Image.open(path))


def _ids(path: str) -> set:
    return set(np.unique(_index(path)).tolist())


def test_config_is_complete_and_derived_from_the_bases(converted, tmp_path):
    cfg = Config.fromfile(converted['config'])
    assert cfg.model.head.one_shot and cfg.model.head.protocol == 'original'
    ds = cfg.test_dataloader.dataset
    assert (ds.type, ds.data_root, ds.split) == ('DAVISVideoDataset', converted['davis'], 'val')
    resize = _resize(cfg)[1]
    assert tuple(resize.scale) == (427, 240) and not resize.keep_ratio  # DAVIS: 240x427
    ev = cfg.test_evaluator
    assert (ev.type, ev.davis_root, ev.split, ev.task) == (
        'DAVISMetric', converted['davis'], 'val', 'semi-supervised')
    assert not ev.get('format_only', False)
    runtime = Config.fromfile(osp.join(REPO, 'configs/_base_/vos_runtime.py'))
    for key in ('default_scope', 'custom_imports', 'default_hooks', 'env_cfg', 'visualizer',
                'log_processor', 'randomness'):
        assert cfg[key] == runtime[key], key
    assert cfg.test_cfg == dict(type='TestLoop')
    # The CLI default, YouTube-VOS valid: the base's test parts, at the original's 256x448
    # (which the base already has), only moved to --data-root.
    out = tmp_path / 'ytvos'
    run([CONVERTER, converted['published'], str(out), '--data-root', '/data/ytvos/'])
    yt = Config.fromfile(str(out / 'config.py'))
    base = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/youtube_vos.py'))
    assert tuple(_resize(yt)[1].scale) == (448, 256)
    base.test_dataloader.dataset.data_root = base.test_evaluator.data_root = '/data/ytvos/'
    assert yt.test_dataloader == base.test_dataloader
    assert yt.test_evaluator == base.test_evaluator
    assert yt.test_evaluator.type == 'YouTubeVOSMetric' and yt.test_evaluator.format_only


def test_tools_test_writes_and_scores_davis_pngs(converted, tmp_path):
    cfg = Config.fromfile(converted['config'])
    res = str(tmp_path / 'results')
    proc = run(['tools/test.py', converted['config'], converted['model'], '--work-dir',
                str(tmp_path / 'work'), '--cfg-options', f'test_evaluator.outfile_dir={res}',
                f'{_resize(cfg)[0]}={SCALE}', 'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False'])
    jf = float(JF.findall(proc.stdout + proc.stderr)[-1])
    assert 0.0 <= jf <= 1.0
    ann_root = osp.join(converted['davis'], 'Annotations', '480p')
    seqs = sorted(os.listdir(ann_root))
    assert sorted(os.listdir(res)) == seqs == ['shapes-val-000', 'shapes-val-001']
    palette = np.array(DAVIS_PALETTE, np.uint8).ravel().tolist()
    for seq in seqs:
        names = sorted(os.listdir(osp.join(ann_root, seq)))
        assert sorted(os.listdir(osp.join(res, seq))) == names and len(names) == FRAMES
        given = _ids(osp.join(ann_root, seq, names[0]))
        for name in names:
            png = Image.open(osp.join(res, seq, name))
            assert png.mode == 'P' and png.getpalette()[:len(palette)] == palette
            assert png.size == Image.open(osp.join(ann_root, seq, name)).size == (SIZE, SIZE)
            assert _ids(osp.join(res, seq, name)) <= given | {0}
    # protocol='original' writes the model's own frame-0 output, as eval_previous_mask.py saves
    # every frame's outs, not the given annotation; the semi-supervised J&F skips the first
    # frame ([1:-1]), so the folder with the given annotations in its place scores the same
    # (and the printed J&F is the standalone evaluation's).
    assert any(not np.array_equal(_index(osp.join(res, seq, '00000.png')),
                                  _index(osp.join(ann_root, seq, '00000.png'))) for seq in seqs)
    for seq in seqs:
        shutil.copyfile(osp.join(ann_root, seq, '00000.png'), osp.join(res, seq, '00000.png'))
    scores = evaluate_davis(converted['davis'], res, split='val', progress=False)
    assert float(scores['J&F-Mean']) == pytest.approx(jf, abs=6e-4)


def test_video_demo_on_a_frame_folder(converted, tmp_path):
    seq = 'shapes-val-001'
    frames = osp.join(converted['davis'], 'JPEGImages', '480p', seq)
    first = osp.join(converted['davis'], 'Annotations', '480p', seq, '00000.png')
    demo = tmp_path / 'demo'
    # the converted DAVIS config runs the demo at the original demo's 240x427 by default
    assert video_demo.test_input_size(Config.fromfile(converted['config'])) == (240, 427)
    h, w = SCALE[1], SCALE[0]  # here a small odd size, for the CPU
    run(['tools/demo/video_demo.py', frames, converted['config'], converted['model'],
         '--first-mask', first, '--out-dir', str(demo), '--input-size', str(h), str(w)])
    masks = sorted(os.listdir(demo / 'masks'))
    assert masks == sorted(n.replace('.jpg', '.png') for n in os.listdir(frames))
    assert len(masks) == FRAMES and len(os.listdir(demo / 'overlays')) == FRAMES
    for name in masks:
        png = Image.open(demo / 'masks' / name)
        assert png.mode == 'P' and png.size == (SIZE, SIZE)
        assert _ids(str(demo / 'masks' / name)) <= _ids(first) | {0}
    assert (demo / 'overlay.mp4').stat().st_size > 0
    # the PNGs are the model's masks at h x w brought back to the frames' size, not those of
    # a run at the frames' own size
    model = init_model(converted['config'], converted['model'])
    mask0 = read_first_mask(first)
    resized = [ids for _, ids in inference_video(model, read_frames(frames), mask0, (h, w))]
    native = [ids for _, ids in inference_video(model, read_frames(frames), mask0)]
    written = [np.array(Image.open(demo / 'masks' / name)) for name in masks]
    assert all(np.array_equal(a, b) for a, b in zip(written, resized))
    assert not all(np.array_equal(a, b) for a, b in zip(written, native))
