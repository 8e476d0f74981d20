"""Python API for videos: streamed frames, one-shot propagation, clear input errors."""
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

from mmsegsup.apis import inference_video, init_model, read_first_mask, read_frames
from mmsegsup.datasets import generate_shapes_videos
from mmsegsup.formats.errors import FormatError

# module-scoped fixtures: keep this file's tests on one xdist worker
pytestmark = pytest.mark.xdist_group('video_api')

CFG = 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py'


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    root = tmp_path_factory.mktemp('api_videos')
    generate_shapes_videos(str(root), 'val', 1, num_frames=6, seed=3)
    seq = 'shapes-val-000'
    return (str(root / 'JPEGImages' / '480p' / seq),
            str(root / 'Annotations' / '480p' / seq / '00000.png'))


def test_inference_video_streams_frames(repo_root, video):
    frames_dir, mask_png = video
    model = init_model(osp.join(repo_root, CFG))
    first = read_first_mask(mask_png)
    out = list(inference_video(model, read_frames(frames_dir), first))
    assert len(out) == 6
    assert np.array_equal(out[0][1], first)
    ids = set(np.unique(first)) | {0}
    for frame, id_map in out:
        assert frame.shape[:2] == id_map.shape and set(np.unique(id_map)) <= ids


def test_video_file_is_read_like_a_folder(tmp_path, video):
    frames_dir, _ = video
    frames = list(read_frames(frames_dir))
    path = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 64))
    for f in frames:
        writer.write(f)
    writer.release()
    assert len(list(read_frames(path))) == len(frames)


def test_bad_video_inputs(repo_root, tmp_path, video):
    frames_dir, mask_png = video
    rgb = tmp_path / 'rgb.png'
    Image.new('RGB', (64, 64)).save(rgb)
    with pytest.raises(FormatError, match='rgb.png.*palette'):
        read_first_mask(str(rgb))
    with pytest.raises(FileNotFoundError, match='nowhere.mp4'):
        next(read_frames(str(tmp_path / 'nowhere.mp4')))
    model = init_model(osp.join(repo_root, CFG))
    small = np.zeros((32, 32), np.uint8)
    with pytest.raises(FormatError, match='first-frame mask is 32x32'):
        list(inference_video(model, read_frames(frames_dir), small))
    rsis = init_model(osp.join(repo_root, 'configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py'))
    with pytest.raises(TypeError, match='not a video object segmentation model'):
        list(inference_video(rsis, read_frames(frames_dir), read_first_mask(mask_png)))
