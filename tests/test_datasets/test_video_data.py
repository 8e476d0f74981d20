"""Synthetic videos in the DAVIS layout, the DAVIS dataset and the video pipeline."""
import filecmp
import os

import numpy as np
import pytest
from mmsegsup.registry import DATASETS
from PIL import Image

from mmsegsup.datasets import generate_shapes_videos
from mmsegsup.formats.errors import FormatError

PIPELINE = [dict(type='VideoClipSample', num_frames=4),
            dict(type='TransformBroadcaster', share_random_params=True, transforms=[
                dict(type='LoadImageFromFile'), dict(type='LoadVideoObjectAnnotations'),
                dict(type='Resize', scale=(48, 48), keep_ratio=False),
                dict(type='RandomFlip', prob=0.5)]),
            dict(type='PackTrackInputs')]


def _davis(root, split='train', pipeline=PIPELINE, **kwargs):
    return DATASETS.build(dict(type='DAVISVideoDataset', data_root=str(root), split=split,
                               pipeline=pipeline, **kwargs))


def test_generator_is_deterministic_and_writes_davis_layout(tmp_path):
    a = generate_shapes_videos(str(tmp_path / 'a'), 'train', 2, num_frames=6, seed=1)
    generate_shapes_videos(str(tmp_path / 'b'), 'train', 2, num_frames=6, seed=1)
    assert open(a).read().split() == ['shapes-train-000', 'shapes-train-001']
    rel = os.path.join('Annotations', '480p', 'shapes-train-001', '00005.png')
    assert filecmp.cmp(tmp_path / 'a' / rel, tmp_path / 'b' / rel, shallow=False)
    ann = Image.open(tmp_path / 'a' / rel)
    assert ann.mode == 'P' and ann.getpalette()[3:6] == [128, 0, 0]  # DAVIS colour of id 1
    frames = sorted(os.listdir(tmp_path / 'a' / 'JPEGImages' / '480p' / 'shapes-train-000'))
    assert frames == [f'{t:05d}.jpg' for t in range(6)]


def test_objects_move_leave_and_enter(tmp_path):
    generate_shapes_videos(str(tmp_path), 'train', 12, num_frames=10, seed=0,
                           late_entries=True)
    entered = moved = 0
    for v in range(12):
        ids = [np.array(Image.open(tmp_path / 'Annotations' / '480p' / f'shapes-train-{v:03d}'
                                   / f'{t:05d}.png')) for t in range(10)]
        first = set(np.unique(ids[0])) - {0}
        later = set().union(*[set(np.unique(m)) for m in ids[1:]]) - {0}
        entered += bool(later - first)
        moved += any(not np.array_equal(ids[0] == k, ids[-1] == k) for k in first)
    assert entered >= 1 and moved >= 10


def test_dataset_and_clip_pipeline(tmp_path):
    generate_shapes_videos(str(tmp_path), 'train', 3, num_frames=8, seed=0)
    ds = _davis(tmp_path)
    assert len(ds) == 3 and ds.get_data_info(0)['video_length'] == 8
    item = ds[1]
    assert tuple(item['inputs'].shape) == (4, 3, 48, 48)
    frames = item['data_samples']
    ids = [f.frame_id for f in frames]
    assert ids == list(range(ids[0], ids[0] + 4))  # consecutive frames
    assert len({f.flip for f in frames}) == 1  # one flip decision for the whole clip
    for f in frames:
        assert f.gt_instances.masks.masks.shape[1:] == (48, 48)
        assert len(f.gt_instances.instances_ids) == len(f.gt_instances.masks)
    whole = _davis(tmp_path, pipeline=[dict(PIPELINE[0], num_frames=None), *PIPELINE[1:]])
    assert len(whole[0]['data_samples']) == 8


def test_shapes_video_dataset_generates_on_first_use(tmp_path):
    ds = DATASETS.build(dict(type='ShapesVideoDataset', data_root=str(tmp_path), split='val',
                             num_videos=2, num_frames=5, pipeline=PIPELINE))
    assert len(ds) == 2 and (tmp_path / 'ImageSets' / '2017' / 'val.txt').is_file()


def test_bad_video_input_names_the_file(tmp_path):
    generate_shapes_videos(str(tmp_path), 'train', 2, num_frames=5, seed=0)
    seq = tmp_path / 'JPEGImages' / '480p' / 'shapes-train-001'
    with pytest.raises(FileNotFoundError, match='missing.txt|ImageSets'):
        _davis(tmp_path, split='missing')
    (tmp_path / 'ImageSets' / '2017' / 'extra.txt').write_text('ghost\n')
    with pytest.raises(FileNotFoundError, match='ghost'):
        _davis(tmp_path, split='extra')
    os.makedirs(tmp_path / 'JPEGImages' / '480p' / 'empty')
    (tmp_path / 'ImageSets' / '2017' / 'empty.txt').write_text('empty\n')
    with pytest.raises(FormatError, match='empty video'):
        _davis(tmp_path, split='empty')
    # Non-palette annotation, then an annotation of another size than its frame.
    ann = tmp_path / 'Annotations' / '480p' / 'shapes-train-001' / '00002.png'
    Image.new('RGB', (64, 64)).save(ann)
    ds = _davis(tmp_path, pipeline=[dict(PIPELINE[0], num_frames=None), *PIPELINE[1:2]])
    with pytest.raises(FormatError, match='00002.png.*palette'):
        ds[1]
    Image.new('P', (32, 64)).save(ann)
    with pytest.raises(FormatError, match='00002.png.*frame'):
        ds[1]
    # A frame of another size than the video's first frame.
    Image.new('P', (64, 64)).save(ann)
    Image.new('RGB', (40, 64)).save(seq / '00003.jpg')
    with pytest.raises(FormatError, match='00003.jpg: frame is 64x40 but'):
        ds[1]
    os.remove(seq / '00004.jpg')
    with pytest.raises(FormatError, match='00004.png.*missing frame'):
        _davis(tmp_path)


def test_davis_sequence_with_five_objects(tmp_path):
    """Official layout written by hand: 5 objects (ids 1..5, 255 void) over 4 frames; training
    loads every frame's objects, test mode gives the model the first frame's only."""
    from mmsegsup.formats.index_png import write_index_png
    from mmsegsup.formats.palettes import DAVIS_PALETTE
    from mmsegsup.utils.io import imwrite_atomic
    seq = 'five-objects'
    for t in range(4):
        ids = np.zeros((40, 60), np.uint8)
        for k in range(1, 6):
            ids[5:15, 10 * k - 8 + t:10 * k - 2 + t] = k
        ids[30:, :] = 255  # void
        imwrite_atomic(np.full((40, 60, 3), 50 * t, np.uint8),
                       str(tmp_path / 'JPEGImages' / '480p' / seq / f'{t:05d}.jpg'))
        write_index_png(ids, str(tmp_path / 'Annotations' / '480p' / seq / f'{t:05d}.png'),
                        DAVIS_PALETTE)
    (tmp_path / 'ImageSets' / '2017').mkdir(parents=True)
    (tmp_path / 'ImageSets' / '2017' / 'val.txt').write_text(seq + '\n')
    whole = [dict(PIPELINE[0], num_frames=None),
             dict(PIPELINE[1], transforms=PIPELINE[1]['transforms'][:2]), PIPELINE[2]]
    video = _davis(tmp_path, split='val', pipeline=whole)[0]['data_samples']
    for t in range(4):
        gt = video[t].gt_instances
        assert gt.instances_ids.tolist() == [1, 2, 3, 4, 5]
        masks = gt.masks.to_ndarray()
        assert masks.shape == (5, 40, 60) and (masks.sum((1, 2)) == 60).all()
        assert not masks[:, 30:].any()  # void is no object
    test = _davis(tmp_path, split='val', pipeline=whole, test_mode=True)[0]['data_samples']
    assert test[0].gt_instances.instances_ids.tolist() == [1, 2, 3, 4, 5]
    assert all(len(test[t].gt_instances) == 0 for t in range(1, 4))
