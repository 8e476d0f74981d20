"""A2D-Sentences and DAVIS-2017 referring expressions: the datasets on fixtures in the official
layouts (tests/helpers/a2d_davis_refer_utils.py: videoset.csv, a2d_annotation.txt, MATLAB-transposed h5
files; DAVIS palette PNGs and both annotators' expression files), the frame extractor on mp4
clips, and every bad-input error."""
import importlib.util
import os
import os.path as osp

import cv2
import h5py
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import PackSegInputs
from mmsegsup.registry import SEG_DATASETS as DATASETS
from PIL import Image

from mmsegsup.datasets.a2d_sentences import A2DSentencesDataset
from mmsegsup.datasets.davis_refer import DAVISReferDataset
from mmsegsup.formats.a2d_sentences import (a2d_label_names, read_a2d_instance_mask,
                                            read_a2d_sentences, read_a2d_videoset)
from mmsegsup.formats.davis_refer import read_davis_expressions
from mmsegsup.formats.errors import FormatError

from a2d_davis_refer_utils import (A2D_FRAMES, NUM_FRAMES, SENTENCES, H, W, box,
                                   davis_index_map, make_a2d, make_davis, write_a2d_h5)
from tools_utils import REPO

META_KEYS = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'reduce_zero_label', 'expression', 'expr_id', 'video',
             'frame_id', 'trivial', 'object_id')


def test_a2d_label_names():
    assert a2d_label_names(11) == ('adult', 'climbing')
    assert a2d_label_names(56) == ('car', 'rolling')
    assert a2d_label_names(79) == ('dog', 'none')
    for bad in (0, 10, 80, 5):
        with pytest.raises(ValueError, match='actor-action'):
            a2d_label_names(bad)


def test_a2d_train_samples(tmp_path):
    root = make_a2d(tmp_path)
    ds = A2DSentencesDataset(data_root=root, split='train')
    assert DATASETS.get('A2DSentencesDataset') is A2DSentencesDataset
    items = [ds.get_data_info(i) for i in range(len(ds))]
    # vidA/0 and vidA/1 in frames 3 and 6, vidA/2 in frame 6, vidB/4 twice (two sentences);
    # the "(copy)" erratum, the missed video and the never-annotated instance give nothing
    assert [(d['expr_id'], d['frame_id']) for d in items] == [
        ('vidA/0', 2), ('vidA/0', 5), ('vidA/1', 2), ('vidA/1', 5), ('vidA/2', 5),
        ('vidB/4', 1), ('vidB/4#2', 1)]
    first = items[0]
    assert first['expression'] == 'man in red, walking left'
    assert first['img_path'] == osp.join(root, 'Release/pngs320H/vidA/00003.png')
    assert first['ref_mask'] == dict(
        type='a2d_h5', instance_id=0,
        path=osp.join(root, 'text_annotations/a2d_annotation_with_instances/vidA/00003.h5'))
    assert (first['video'], first['frame_name'], first['object_id']) == ('vidA', '00003', 0)
    assert (first['actor'], first['action'], first['category_id']) == ('adult', 'walking', 18)
    assert first['seg_fields'] == [] and first['reduce_zero_label'] is False
    by_id = {d['expr_id']: d for d in items}
    assert (by_id['vidA/2']['actor'], by_id['vidA/2']['action']) == ('dog', 'running')
    # two adults in vidA: not trivial; the only dog and the only car are
    assert [by_id[k]['trivial'] for k in ('vidA/0', 'vidA/1', 'vidA/2', 'vidB/4')] == [
        False, False, True, True]
    test = A2DSentencesDataset(data_root=root, split='test')
    assert [(d['expr_id'], d['actor'], d['split']) for d in
            (test.get_data_info(i) for i in range(len(test)))] == [('vidC/0', 'bird', 'test')]


def test_a2d_masks_match_drawing(tmp_path):
    root = make_a2d(tmp_path)
    ds = A2DSentencesDataset(data_root=root, split='train')
    for i in range(len(ds)):
        d = ds.get_data_info(i)
        number = d['frame_id'] + 1
        drawn = {k: m for k, _, m in A2D_FRAMES[d['video']][number]}[d['object_id']]
        got = read_a2d_instance_mask(d['ref_mask']['path'], d['ref_mask']['instance_id'])
        assert got.dtype == np.uint8 and got.shape == (H, W)
        np.testing.assert_array_equal(got, drawn)


def test_a2d_h5_errata_and_errors(tmp_path):
    # more masks than instances (extra ignored), an instance id listed twice (first wins)
    path = str(tmp_path / 'v/00001.h5')
    a, b = box(0, 5, 0, 5), box(10, 20, 10, 20)
    write_a2d_h5(path, [(3, 11, a), (5, 12, b), (3, 13, b)], extra_masks=2)
    np.testing.assert_array_equal(read_a2d_instance_mask(path, 3), a)
    np.testing.assert_array_equal(read_a2d_instance_mask(path, 5), b)
    with pytest.raises(FormatError, match=r'00001\.h5: instance 9 not annotated'):
        read_a2d_instance_mask(path, 9)
    short = str(tmp_path / 'v/00002.h5')
    write_a2d_h5(short, [(1, 11, a), (2, 11, b)])
    with h5py.File(short, 'a') as f:
        del f['reMask']
        f.create_dataset('reMask', data=a.T)  # one mask for two instances
    with pytest.raises(FormatError, match=r'00002\.h5: reMask of shape'):
        read_a2d_instance_mask(short, 2)
    nomask = str(tmp_path / 'v/00003.h5')
    write_a2d_h5(nomask, [(1, 11, a)], fields=('instance', 'id'))
    with pytest.raises(FormatError, match=r"00003\.h5: field 'reMask' missing"):
        read_a2d_instance_mask(nomask, 1)
    junk = tmp_path / 'v/00004.h5'
    junk.write_text('not hdf5')
    with pytest.raises(FormatError, match=r'00004\.h5: not a readable HDF5'):
        read_a2d_instance_mask(str(junk), 1)
    with pytest.raises(FileNotFoundError, match='00005.h5'):
        read_a2d_instance_mask(str(tmp_path / 'v/00005.h5'), 1)


def test_a2d_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="'train' or 'test'"):
        A2DSentencesDataset(data_root=str(tmp_path), split='val')
    root = make_a2d(tmp_path / 'a', videoset=[('vidA', 0), ('vidB', 2)])
    with pytest.raises(FormatError, match=r'videoset\.csv:2: subset column'):
        read_a2d_videoset(osp.join(root, 'Release/videoset.csv'))
    root = make_a2d(tmp_path / 'b', sentences=[('vidA', 'one', 'x')])
    with pytest.raises(FormatError, match=r"a2d_annotation\.txt:2: instance_id must be "
                                                 r"an integer, got 'one'"):
        read_a2d_sentences(osp.join(root, 'text_annotations/a2d_annotation.txt'))
    bad_header = tmp_path / 'header.txt'
    bad_header.write_text('video,instance,sentence\nvidA,0,x\n')
    with pytest.raises(FormatError, match=r'header\.txt:1: expected the header'):
        read_a2d_sentences(str(bad_header))
    root = make_a2d(tmp_path / 'c', sentences=SENTENCES + [('vidZ', '0', 'unknown video')])
    with pytest.raises(FormatError, match=r"a2d_annotation\.txt:11: video 'vidZ' is not "
                                                 r'listed in .*videoset\.csv'):
        A2DSentencesDataset(data_root=root)
    root = make_a2d(tmp_path / 'd', sentences=SENTENCES + [('vidN', '0', 'no h5 folder')])
    with pytest.raises(FileNotFoundError, match='a2d_annotation_with_instances/vidN'):
        A2DSentencesDataset(data_root=root)
    root = make_a2d(tmp_path / 'e', frames=False)
    with pytest.raises(FileNotFoundError, match=r'pngs320H/vidA/00003\.png not found; extract'):
        A2DSentencesDataset(data_root=root)
    assert len(A2DSentencesDataset(data_root=root, check_frames=False)) == 7
    root = make_a2d(tmp_path / 'f')
    write_a2d_h5(osp.join(root, 'text_annotations/a2d_annotation_with_instances/vidB/00002.h5'),
                 [(4, 99, box(0, 4, 0, 4))])
    with pytest.raises(FormatError, match=r'vidB/00002\.h5: field "id" of instance 4: '
                                                 r'99 is not an A2D actor-action id'):
        A2DSentencesDataset(data_root=root)
    with pytest.raises(FileNotFoundError, match='videoset.csv'):
        A2DSentencesDataset(data_root=str(tmp_path / 'nowhere'))


# ------------------------------------------------------------------------------- frame extractor
def _load_extractor():
    spec = importlib.util.spec_from_file_location(
        'a2d_extract_frames', osp.join(REPO, 'tools/dataset_converters/a2d_extract_frames.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_mp4(path, num_frames):
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10, (W, H))
    assert writer.isOpened()
    for n in range(1, num_frames + 1):
        writer.write(np.full((H, W, 3), 20 * n, np.uint8))
    writer.release()


def test_extractor_annotated_only_all_and_resume(tmp_path):
    root = make_a2d(tmp_path, frames=False)
    for vid in ('vidA', 'vidB', 'vidC', 'vidM', 'vidN'):
        write_mp4(osp.join(root, 'Release/clips320H', f'{vid}.mp4'), 8)
    tool = _load_extractor()
    frames = osp.join(root, 'Release/pngs320H')
    stats = tool.main([root, '--split', 'train', '--annotated-only'])
    # vidA: 2 annotated frames, vidB 1, vidM 1; vidN has no annotation folder
    assert stats == dict(videos=3, no_annotation=1, written=4, kept=0)
    assert sorted(os.listdir(osp.join(frames, 'vidA'))) == ['00003.png', '00006.png']
    img = cv2.imread(osp.join(frames, 'vidA', '00006.png'))
    assert img.shape == (H, W, 3) and abs(float(img.mean()) - 120) < 8  # frame 6 is gray 120
    ds = A2DSentencesDataset(data_root=root, split='train')  # the frames are where it looks
    assert len(ds) == 7
    before = os.path.getmtime(osp.join(frames, 'vidA', '00003.png'))
    stats = tool.main([root, '--split', 'train', '--annotated-only'])
    assert stats == dict(videos=3, no_annotation=1, written=0, kept=4)
    assert os.path.getmtime(osp.join(frames, 'vidA', '00003.png')) == before
    os.remove(osp.join(frames, 'vidA', '00006.png'))  # an interrupted run: finish the rest
    stats = tool.main([root, '--videos', 'vidA'])
    assert stats == dict(videos=1, no_annotation=0, written=7, kept=1)
    assert len([f for f in os.listdir(osp.join(frames, 'vidA')) if f.endswith('.png')]) == 8
    assert not [f for f in os.listdir(osp.join(frames, 'vidA')) if f.startswith('.tmp')]
    assert tool.main([root, '--videos', 'vidA'])['written'] == 0


def test_extractor_errors(tmp_path):
    root = make_a2d(tmp_path, frames=False)
    tool = _load_extractor()
    with pytest.raises(FileNotFoundError, match=r'clips320H/vidC\.mp4'):
        tool.main([root, '--split', 'test'])
    write_mp4(osp.join(root, 'Release/clips320H/vidA.mp4'), 4)  # annotations ask for frame 6
    with pytest.raises(FormatError, match=r'vidA\.mp4: decoded 4 frames, but annotations '
                                                 r'ask for frame\(s\) \[6\]'):
        tool.main([root, '--videos', 'vidA', '--annotated-only'])
    broken = osp.join(root, 'Release/clips320H/vidB.mp4')
    with open(broken, 'wb') as f:
        f.write(b'not a video')
    with pytest.raises(FormatError, match=r'vidB\.mp4'):
        tool.main([root, '--videos', 'vidB'])


def test_davis_refer_samples(tmp_path):
    root = make_davis(tmp_path)
    assert DATASETS.get('DAVISReferDataset') is DAVISReferDataset
    ds = DAVISReferDataset(data_root=root, split='train')
    items = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(items) == 2 * NUM_FRAMES  # 2 objects x 3 frames
    assert [(d['expr_id'], d['frame_id']) for d in items] == [
        (f'bike-packing/{k}/1', t) for k in (1, 2) for t in range(NUM_FRAMES)]
    d = items[1]
    assert d['expression'] == 'a man riding a bike'
    assert d['img_path'] == osp.join(root, 'JPEGImages/480p/bike-packing/00001.jpg')
    assert d['ref_mask'] == dict(type='index_png', obj_id=1,
                                 path=osp.join(root, 'Annotations/480p/bike-packing/00001.png'))
    assert (d['video'], d['frame_name'], d['object_id'], d['trivial']) == (
        'bike-packing', '00001', 1, None)
    assert (d['annotator'], d['expression_type'], d['split']) == (1, 'first_frame', 'train')
    val2 = DAVISReferDataset(data_root=root, split='val', annotator=2)  # Latin-1, misspelt name
    texts = {val2.get_data_info(i)['expr_id']: val2.get_data_info(i)['expression']
             for i in range(len(val2))}
    assert texts == {'dogs-scale/1/2': 'left dog', 'dogs-scale/2/2': 'right dog'}
    train2 = DAVISReferDataset(data_root=root, split='train', annotator=2)
    assert train2.get_data_info(0)['expression'] == 'cyclist with café helmet'
    full = DAVISReferDataset(data_root=root, split='val', expressions='full_video')
    assert full.get_data_info(NUM_FRAMES)['expression'] == 'dog which leaves'
    assert full.get_data_info(0)['expression_type'] == 'full_video'


def test_davis_refer_masks_and_frames(tmp_path):
    from mmsegsup.datasets.transforms.referring import read_index_png_mask
    root = make_davis(tmp_path)
    ds = DAVISReferDataset(data_root=root, split='val')
    for i in range(len(ds)):
        d = ds.get_data_info(i)
        drawn = davis_index_map(d['video'], d['frame_id']) == d['object_id']
        got = read_index_png_mask(d['ref_mask']['path'], d['ref_mask']['obj_id'])
        np.testing.assert_array_equal(got, drawn.astype(np.uint8))
    assert not read_index_png_mask(ds.get_data_info(len(ds) - 1)['ref_mask']['path'], 2).any()
    # a test-dev style video: only the first frame annotated
    for t in range(1, NUM_FRAMES):
        os.remove(osp.join(root, f'Annotations/480p/dogs-scale/{t:05d}.png'))
    annotated = DAVISReferDataset(data_root=root, split='val')
    assert [annotated.get_data_info(i)['frame_id'] for i in range(len(annotated))] == [0, 0]
    test = DAVISReferDataset(data_root=root, split='val', test_mode=True)  # frames='all'
    kinds = [test.get_data_info(i)['ref_mask']['type'] for i in range(len(test))]
    assert kinds == ['index_png', 'none', 'none'] * 2


def test_davis_refer_bad_inputs(tmp_path):
    for kwargs, msg in [(dict(split='test'), "'train' or 'val'"),
                        (dict(expressions='both'), 'first_frame'),
                        (dict(annotator=3), 'annotator must be 1 or 2'),
                        (dict(frames='some'), "'all' or 'annotated'")]:
        with pytest.raises(ValueError, match=msg):
            DAVISReferDataset(data_root=str(tmp_path), **kwargs)

    def tree(name, lines):
        return make_davis(tmp_path / name, {
            'Davis17_annot1.txt': ('utf-8', ['bike-packing 1 "man"'] + lines)})

    root = tree('unknown', ['motocross 1 "a rider"'])
    with pytest.raises(FormatError, match=r"Davis17_annot1\.txt:2: video 'motocross' is "
                                                 r'in no split file'):
        DAVISReferDataset(data_root=root)
    root = tree('absent', ['bike-packing 3 "a third object"'])
    with pytest.raises(FormatError, match=r'Davis17_annot1\.txt:2: object 3 of '
                                                 r'bike-packing is absent from its first '
                                                 r'annotated frame .*00000\.png'):
        DAVISReferDataset(data_root=root)
    root = tree('malformed', ['bike-packing "no object id"'])
    with pytest.raises(FormatError, match=r'Davis17_annot1\.txt:2: expected <video>'):
        read_davis_expressions(osp.join(root, 'davis_text_annotations/Davis17_annot1.txt'))
    root = tree('duplicate', ['bike-packing 1 "again"'])
    with pytest.raises(FormatError, match=r':2: second expression for object 1 of '
                                                 r'bike-packing \(first on line 1\)'):
        DAVISReferDataset(data_root=root)
    root = tree('nofolder', [])
    import shutil
    shutil.rmtree(osp.join(root, 'JPEGImages/480p/bike-packing'))
    with pytest.raises(FileNotFoundError, match=r'JPEGImages/480p/bike-packing .*'
                                                r'Davis17_annot1\.txt:1'):
        DAVISReferDataset(data_root=root)
    root = tree('rgb', [])
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(
        osp.join(root, 'Annotations/480p/bike-packing/00000.png'))
    with pytest.raises(FormatError, match=r'00000\.png: expected a palette'):
        DAVISReferDataset(data_root=root)
    with pytest.raises(FileNotFoundError, match='Davis17_annot2_full_video.txt'):
        DAVISReferDataset(data_root=root, annotator=2, expressions='full_video')


# ------------------------------------------------------------------------------------- pipeline
def test_pipeline_on_a2d_and_davis_samples(tmp_path):
    from mmsegsup.datasets.transforms.referring import LoadReferringMask
    pipeline = [LoadImageFromFile(), LoadReferringMask(), PackSegInputs(meta_keys=META_KEYS)]
    a2d = A2DSentencesDataset(data_root=make_a2d(tmp_path / 'a2d'), split='train',
                              pipeline=pipeline)
    davis = DAVISReferDataset(data_root=make_davis(tmp_path / 'davis'), split='val',
                              pipeline=pipeline)
    for ds, i, drawn in [(a2d, 4, A2D_FRAMES['vidA'][6][2][2]),
                         (davis, 1, davis_index_map('dogs-scale', 1) == 1)]:
        out = ds[i]
        sample = out['data_samples']
        assert tuple(out['inputs'].shape) == (3, H, W)
        np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), drawn.astype(np.uint8))
        info = ds.get_data_info(i)
        for key in ('expression', 'expr_id', 'video', 'frame_id', 'trivial', 'object_id'):
            assert sample.metainfo[key] == info[key]
