"""RefCOCO(+/g) in the refer layout, safe refs-pickle loading, the JSON converter and
LoadReferringMask, on a tiny fixture written in the official layout."""
import copyreg
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmsegsup.registry import SEG_DATASETS as DATASETS, SEG_TRANSFORMS as TRANSFORMS
from PIL import Image

from mmsegsup.datasets.refcoco import RefCOCODataset
from mmsegsup.datasets.transforms.referring import LoadReferringMask
from mmsegsup.formats.errors import FormatError
from mmsegsup.formats.refer import REFER_IMG_PREFIX, in_refer_split, load_refs, refer_to_json
from mmsegsup.formats.safe_pickle import UnsafePickleError, safe_load_pickle
from refer_utils import (IMG_DIR, MASK_101, MASK_201, MASK_301, MASK_302, default_instances,
                         default_refs, image_file_name, make_ref, write_refer, write_refer_root)
from tools_utils import run

META_KEYS = ('img_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'reduce_zero_label', 'expression', 'expr_id', 'video',
             'frame_id', 'trivial', 'object_id')
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadReferringMask'),
            dict(type='PackSegInputs', meta_keys=META_KEYS)]
@pytest.fixture
def refer_root(tmp_path) -> str:
    return write_refer_root(str(tmp_path / 'refer'))


def _dataset(root, split='train', **kwargs) -> RefCOCODataset:
    """Built as a config would be: in mmseg's scope (the mmseg family's)."""
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        return DATASETS.build(dict(type='RefCOCODataset', data_root=root, split=split,
                                   **kwargs))


# ---------------------------------------------------------------- dataset contents

@pytest.mark.parametrize('split,count', [('train', 3), ('val', 3), ('testA', 1), ('testB', 1)])
def test_lengths_per_split(refer_root, split, count):
    assert len(_dataset(refer_root, split)) == count


def test_samples_follow_the_contract(refer_root):
    ds = _dataset(refer_root, 'train')
    first = ds.get_data_info(0)
    assert first['img_path'] == osp.join(refer_root, IMG_DIR, image_file_name(1))
    assert first['expression'] == 'Man on the left'  # the annotator's raw text
    assert [ds.get_data_info(i)['expr_id'] for i in range(3)] == ['0', '1', '6']
    assert first['ref_mask'] == dict(type='coco', height=20, width=30,
                                     segmentation=[[2, 2, 12, 2, 12, 10, 2, 10]])
    assert (first['video'], first['frame_id'], first['split']) == (None, None, 'train')
    assert (first['ref_id'], first['object_id'], first['category_id']) == (0, 101, 1)
    assert first['seg_fields'] == [] and first['reduce_zero_label'] is False
    assert ds.metainfo['classes'] == ('background', 'object')


def test_trivial_means_only_object_of_its_class(refer_root):
    trivial = {}
    for split in ('train', 'val', 'testA', 'testB'):
        ds = _dataset(refer_root, split)
        trivial.update({ds.get_data_info(i)['object_id']: ds.get_data_info(i)['trivial']
                        for i in range(len(ds))})
    # two persons and two cars share their images; the dog and the cat are alone
    assert trivial == {101: False, 102: False, 103: True, 201: True, 301: False, 302: False}


def test_lazy_init_reads_nothing(tmp_path):
    ds = _dataset(str(tmp_path / 'absent'), lazy_init=True)
    with pytest.raises(FileNotFoundError, match=r'refs\(unc\)'):
        ds.full_init()


@pytest.mark.parametrize('ref_split,split,inside', [
    ('train', 'train', True), ('val', 'train', False), ('testA', 'test', True),
    ('testB', 'testA', False), ('testAB', 'testB', True), ('test', 'test', True)])
def test_split_rule_of_refer(ref_split, split, inside):
    assert in_refer_split(ref_split, split) is inside


def test_refcocog_umd_test_split(tmp_path):
    root = str(tmp_path)
    refs = [make_ref(0, 101, 1, 1, 'test', [(9, 'a man')]),
            make_ref(1, 102, 1, 1, 'val', [(8, 'x')])]
    write_refer(root, refs=refs, dataset='refcocog', split_by='umd')
    ds = _dataset(root, 'test', dataset='refcocog', split_by='umd')
    assert len(ds) == 1 and ds.get_data_info(0)['expr_id'] == '9'


# ---------------------------------------------------------------- masks through the pipeline

@pytest.mark.parametrize('split,index,expected', [
    ('train', 0, MASK_101), ('val', 0, MASK_201), ('train', 2, MASK_301),
    ('val', 2, MASK_302)])
def test_mask_through_the_full_pipeline(refer_root, split, index, expected):
    ds = _dataset(refer_root, split, pipeline=PIPELINE)
    packed = ds[index]
    sample = packed['data_samples']
    gt = sample.gt_sem_seg.data[0].numpy()
    assert gt.shape == expected.shape and np.array_equal(gt, expected)
    assert packed['inputs'].shape == (3, *expected.shape)
    info = ds.get_data_info(index)
    for key in ('expression', 'expr_id', 'trivial', 'object_id', 'video', 'frame_id'):
        assert sample.metainfo[key] == info[key]


def test_index_png_and_none_types(tmp_path):
    path = str(tmp_path / 'frame.png')
    index = np.zeros((6, 8), np.uint8)
    index[1:3, 2:5] = 2
    index[4:, :] = 1
    png = Image.fromarray(index, mode='P')
    png.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
    png.save(path)
    load = LoadReferringMask()
    base = dict(img_path='frame.jpg', img_shape=(6, 8), ori_shape=(6, 8), seg_fields=[])
    out = load(dict(base, ref_mask=dict(type='index_png', path=path, obj_id=2)))
    assert np.array_equal(out['gt_seg_map'], (index == 2).astype(np.uint8))
    assert out['seg_fields'] == ['gt_seg_map'] and out['gt_seg_map'].dtype == np.uint8
    absent = load(dict(base, ref_mask=dict(type='index_png', path=path, obj_id=7)))
    assert absent['gt_seg_map'].sum() == 0  # an object out of the frame: legal, empty
    none = load(dict(base, seg_fields=[], ref_mask=dict(type='none')))
    assert 'gt_seg_map' not in none and none['seg_fields'] == []


# ---------------------------------------------------------------- JSON conversion

def test_json_round_trip_equals_the_pickle(refer_root, tmp_path):
    pickle_path = osp.join(refer_root, 'refcoco', 'refs(unc).p')
    from_pickle = {s: _dataset(refer_root, s) for s in ('train', 'val')}
    out = refer_to_json(pickle_path)
    assert out == osp.join(refer_root, 'refcoco', 'refs(unc).json')
    assert load_refs(out) == load_refs(pickle_path) == default_refs()
    for split, old in from_pickle.items():
        new = _dataset(refer_root, split)
        assert new.refs_path() == out  # the JSON is preferred once present
        assert [new.get_data_info(i) for i in range(len(new))] == \
            [old.get_data_info(i) for i in range(len(old))]
    assert not [f for f in os.listdir(osp.dirname(out)) if f.startswith('.tmp')]


def test_converter_cli(refer_root, tmp_path):
    pickle_path = osp.join(refer_root, 'refcoco', 'refs(unc).p')
    out = str(tmp_path / 'converted.json')
    proc = run(['tools/dataset_converters/refer_to_json.py', pickle_path, '--out', out])
    assert '6 refs, 8 sentences' in proc.stdout
    with open(out) as f:
        assert json.load(f) == default_refs()


# ---------------------------------------------------------------- safe pickle loading

class _Evil:
    def __init__(self, call):
        self.call = call

    def __reduce__(self):
        return self.call


@pytest.mark.parametrize('protocol', [2, 4])
def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, protocol):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'refs(unc).p')
    with open(path, 'wb') as f:  # hidden inside an otherwise plain ref
        pickle.dump([dict(ref_id=0, sentences=[_Evil((os.system, (f'touch {marker}', )))])],
                    f, protocol=protocol)
    with pytest.raises(UnsafePickleError) as err:
        safe_load_pickle(path)
    assert path in str(err.value) and f'{os.system.__module__}.system' in str(err.value)
    assert not marker.exists()
    assert isinstance(err.value, FormatError)


@pytest.mark.parametrize('call,name', [(exec, 'builtins.exec'), (open, 'io.open')])
def test_builtins_are_refused(tmp_path, call, name):
    marker = tmp_path / 'created'
    path = str(tmp_path / 'evil.p')
    args = (f'open({str(marker)!r}, "w")', ) if call is exec else (str(marker), 'w')
    with open(path, 'wb') as f:
        pickle.dump(_Evil((call, args)), f, protocol=4)
    with pytest.raises(UnsafePickleError, match=name.replace('.', r'\.')):
        safe_load_pickle(path)
    assert not marker.exists()


def test_dataset_refuses_a_malicious_refs_file(refer_root, tmp_path):
    marker = tmp_path / 'pwned'
    with open(osp.join(refer_root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        pickle.dump(_Evil((os.system, (f'touch {marker}', ))), f, protocol=2)
    with pytest.raises(UnsafePickleError, match=r'refs\(unc\)\.p'):
        _dataset(refer_root)
    assert not marker.exists()


def test_extension_codes_and_persistent_ids_are_refused(tmp_path):
    copyreg.add_extension('posix', 'system', 240)
    try:
        (tmp_path / 'ext.p').write_bytes(b'\x80\x02\x82\xf0.')  # EXT1 240: posix.system
        with pytest.raises(UnsafePickleError, match=r'posix\.system'):
            safe_load_pickle(str(tmp_path / 'ext.p'))
    finally:
        copyreg.remove_extension('posix', 'system', 240)
    (tmp_path / 'pid.p').write_bytes(b'\x80\x02X\x01\x00\x00\x00aQ.')  # BINPERSID
    with pytest.raises(UnsafePickleError, match='persistent id'):
        safe_load_pickle(str(tmp_path / 'pid.p'))


def test_sets_are_refused_too(tmp_path):
    path = str(tmp_path / 'set.p')
    with open(path, 'wb') as f:
        pickle.dump({1, 2}, f, protocol=2)
    with pytest.raises(UnsafePickleError, match='set'):
        safe_load_pickle(path)


def test_python2_strings_come_back_as_text(tmp_path):
    # Python 2 protocol 2: a list of SHORT_BINSTRING (py2 str = bytes): ASCII, UTF-8, Latin-1
    utf8 = b'\x80\x02]q\x00(U\x05helloq\x01U\x05caf\xc3\xa9q\x02e.'
    latin1 = b'\x80\x02]q\x00U\x04caf\xe9q\x01a.'
    (tmp_path / 'a.p').write_bytes(utf8)
    (tmp_path / 'b.p').write_bytes(latin1)
    assert safe_load_pickle(str(tmp_path / 'a.p')) == ['hello', 'café']
    assert safe_load_pickle(str(tmp_path / 'b.p')) == ['café']


def test_corrupt_and_missing_pickles(tmp_path):
    path = tmp_path / 'cut.p'
    path.write_bytes(pickle.dumps(default_refs(), protocol=2)[:40])
    with pytest.raises(FormatError, match='cut.p: not a readable pickle'):
        safe_load_pickle(str(path))
    with pytest.raises(FileNotFoundError, match='nothing.p'):
        safe_load_pickle(str(tmp_path / 'nothing.p'))


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize('dataset,split_by,split,match', [
    ('refclef', 'unc', 'train', 'dataset must be one of'),
    ('refcoco+', 'google', 'train', 'refcoco\\+ is split by unc'),
    ('refcocog', 'unc', 'train', 'refcocog is split by google or umd'),
    ('refcoco', 'unc', 'test', "has the splits \\['train', 'val', 'testA', 'testB'\\]"),
    ('refcocog', 'google', 'test', "refcocog \\(google\\) has the splits"),
    ('refcocog', 'umd', 'testA', 'umd')])
def test_bad_dataset_arguments(tmp_path, dataset, split_by, split, match):
    with pytest.raises(ValueError, match=match):
        RefCOCODataset(data_root=str(tmp_path), dataset=dataset, split_by=split_by,
                       split=split, lazy_init=True)


def _broken(root, field, value, ref_index=0):
    refs = default_refs()
    refs[ref_index][field] = value
    write_refer(root, refs=refs)


def test_ann_id_missing_from_instances(refer_root):
    _broken(refer_root, 'ann_id', 999)
    with pytest.raises(FormatError, match=r'refs\(unc\)\.p: ref_id 0 refers to ann_id '
                       r'999, which .*instances\.json does not hold'):
        _dataset(refer_root)


def test_image_id_missing_from_instances(refer_root):
    _broken(refer_root, 'image_id', 77)
    with pytest.raises(FormatError, match=r'ref_id 0 refers to image_id 77'):
        _dataset(refer_root)


def test_image_id_of_ref_and_annotation_disagree(refer_root):
    _broken(refer_root, 'image_id', 2)
    with pytest.raises(FormatError, match=r'ref_id 0 has image_id 2 but its ann_id 101'):
        _dataset(refer_root)


def test_empty_sentence(refer_root):
    refs = default_refs()
    refs[4]['sentences'][0].update(raw='  ', sent='')
    write_refer(refer_root, refs=refs)
    with pytest.raises(FormatError, match='ref_id 4, sent_id 6: empty sentence'):
        _dataset(refer_root)


def test_repeated_sent_id(refer_root):
    refs = default_refs()
    refs[4]['sentences'][0]['sent_id'] = 1
    write_refer(refer_root, refs=refs)
    with pytest.raises(FormatError, match='sent_id 1 appears in ref_id 0 and ref_id 4'):
        _dataset(refer_root)


def test_malformed_refs(refer_root):
    write_refer(refer_root, refs={'refs': []})
    with pytest.raises(FormatError, match='expected a list of refs, got dict'):
        _dataset(refer_root)
    refs = default_refs()
    del refs[2]['sentences']
    write_refer(refer_root, refs=refs)
    with pytest.raises(FormatError, match=r"ref #2 \(ref_id 2\) lacks \['sentences'\]"):
        _dataset(refer_root)


def test_malformed_instances(refer_root):
    instances = default_instances()
    del instances['images'][1]['file_name']
    write_refer(refer_root, instances=instances)
    with pytest.raises(FormatError, match=r'instances\.json: images\[1\] must be'):
        _dataset(refer_root)
    os.remove(osp.join(refer_root, 'refcoco', 'instances.json'))
    with pytest.raises(FileNotFoundError, match=r'instances\.json not found'):
        _dataset(refer_root)


def test_missing_image(refer_root):
    missing = osp.join(refer_root, IMG_DIR, image_file_name(3))
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match=f'image {missing} .*ref_id 4'):
        _dataset(refer_root, check_files=True)
    ds = _dataset(refer_root, pipeline=PIPELINE)  # unchecked: loading names the path
    with pytest.raises(FileNotFoundError, match=image_file_name(3)):
        ds[2]


def test_mask_of_another_size(refer_root):
    load = LoadReferringMask()
    results = dict(img_path='x.jpg', img_shape=(16, 24), ori_shape=(16, 24), seg_fields=[],
                   ref_mask=dict(type='coco', segmentation=[[2, 2, 12, 2, 12, 10, 2, 10]],
                                 height=20, width=30))
    with pytest.raises(FormatError,
                       match='image x.jpg is 16x24 .* COCO segmentation of x.jpg is 20x30'):
        load(results)


@pytest.mark.parametrize('ref_mask,error,match', [
    (dict(type='box'), ValueError, "unknown ref_mask type 'box'"),
    (dict(type='coco', height=4, width=4), FormatError, "lacks the field 'segmentation'"),
    (dict(type='coco', segmentation=[[1, 2, 3]], height=4, width=4), FormatError,
     'even length'),
    (dict(type='coco', segmentation={'counts': [16], 'size': [5, 4]}, height=4, width=4),
     FormatError, r'RLE size \[5, 4\] differs'),
    (dict(type='index_png', path='/no/such.png', obj_id=1), FileNotFoundError,
     '/no/such.png')])
def test_bad_ref_masks(ref_mask, error, match):
    with pytest.raises(error, match=match):
        LoadReferringMask()(dict(img_path='x.jpg', ori_shape=(4, 4), ref_mask=ref_mask))


def test_rgb_png_is_not_an_index_png(tmp_path):
    path = str(tmp_path / 'rgb.png')
    cv2.imwrite(path, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(FormatError, match='rgb.png: expected a palette'):
        LoadReferringMask()(dict(img_path='x.jpg', ori_shape=(4, 4),
                                 ref_mask=dict(type='index_png', path=path, obj_id=1)))


def test_transform_is_registered_in_mmseg():
    assert TRANSFORMS.get('LoadReferringMask') is LoadReferringMask
    assert REFER_IMG_PREFIX == IMG_DIR
