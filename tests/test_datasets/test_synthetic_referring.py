"""Synthetic referring shapes: determinism, layout, unique expressions, videos, datasets."""
import filecmp
import importlib.util
import json
import os
import os.path as osp
from typing import Dict, List

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmsegsup.registry import SEG_DATASETS as DATASETS
from PIL import Image

from mmsegsup.datasets.synthetic import language as lang
from mmsegsup.datasets.synthetic.referring import (generate_referring_shapes,
                                                   generate_referring_shapes_videos)
from mmsegsup.datasets.synthetic.scene import COLOURS, SIZES, RefObject, draw_shape
from mmsegsup.formats.errors import FormatError

META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor',
             'flip', 'flip_direction', 'reduce_zero_label', 'expression', 'expr_id', 'video',
             'frame_id', 'trivial', 'object_id')
CONTRACT_KEYS = {'img_path', 'expression', 'expr_id', 'ref_mask', 'video', 'frame_id',
                 'trivial', 'object_id', 'categories', 'seg_fields', 'reduce_zero_label'}


@pytest.fixture
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        yield


def _files(root) -> List[str]:
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _load(path) -> dict:
    with open(path) as f:
        return json.load(f)


def _parse(sentence: str) -> Dict[str, str]:
    """Read the attributes back from the words alone (vocabulary of the module)."""
    words = sentence.split()
    found = {'size': [s for s, ws in lang.SIZE_WORDS.items() if set(ws) & set(words)],
             'colour': [c for c in COLOURS if c in words],
             'class': [c for c, ws in lang.CLASS_WORDS.items() if set(ws) & set(words)],
             'location': [d for d in lang.DIRECTIONS if lang.LOCATION_SUPERLATIVES[d] in words
                          or any(p in sentence for p in lang.LOCATION_PHRASES[d])]}
    assert all(len(v) <= 1 for v in found.values()), (sentence, found)
    return {k: v[0] for k, v in found.items() if v}


def _centers(obj: dict) -> np.ndarray:
    return np.array(obj['centers'] if 'centers' in obj else [obj['center']], float)


def _denoted(objects: List[dict], values: Dict[str, str], coords: Dict[int, np.ndarray],
             margin: float) -> List[int]:
    """Objects fitting the words; a location word picks the extreme of the rest, every frame."""
    group = [o for o in objects
             if all(o[k] == v for k, v in values.items() if k != 'location')]
    if 'location' not in values:
        return [o['obj_id'] for o in group]
    axis, sign = {'left': (0, -1), 'right': (0, 1), 'top': (1, -1),
                  'bottom': (1, 1)}[values['location']]
    return [o['obj_id'] for o in group
            if all(np.all(sign * (coords[o['obj_id']][:, axis] - coords[g['obj_id']][:, axis])
                          >= margin) for g in group if g is not o)]


def _masks(root, split, name, frames=None) -> List[np.ndarray]:
    paths = ([osp.join(root, 'Annotations', split, name + '.png')] if frames is None else
             [osp.join(root, 'Annotations', split, name, f + '.png') for f in frames])
    out = []
    for p in paths:
        with Image.open(p) as im:
            assert im.mode == 'P'
            out.append(np.array(im))
    return out


def _check_scene(root, split, entry, exprs, frames=None, min_visible=0.8) -> None:
    """Every expression's words denote its referent only: by the recorded centres (with the
    generator's margin) and by the centroids of the written masks on every frame."""
    size = entry['width']
    objects = entry['objects']
    id_maps = _masks(root, split, entry.get('image', entry.get('video')), frames)
    assert sorted(int(v) for v in np.unique(np.stack(id_maps))) == \
        [0] + [o['obj_id'] for o in objects]
    recorded = {o['obj_id']: _centers(o) for o in objects}
    seen = {o['obj_id']: np.array([np.argwhere(m == o['obj_id']).mean(0)[::-1]
                                   for m in id_maps]) for o in objects}
    for o in objects:  # masks are the drawn shapes, mostly visible, inside the frame
        for t, ids in enumerate(id_maps):
            c = tuple(int(v) for v in np.round(recorded[o['obj_id']][t]))
            full = draw_shape(o['class'], size, c, o['radius'],
                              o['angle'] + t * o.get('spin', 0.0)) > 0
            vis = ids == o['obj_id']
            assert (vis & ~full).sum() <= 2 and vis.sum() >= min_visible * full.sum() - 2
        assert not (np.stack(id_maps)[:, [0, -1], :].any()
                    or np.stack(id_maps)[:, :, [0, -1]].any())
    assert len(exprs) == len(objects)
    for e in exprs:
        values = _parse(e['sentence'])
        assert values == e['values'], e
        assert e['attributes'] == [a for a in lang.ATTRIBUTES if a in values]
        assert e['categories'] == [c for c in lang.THESIS_CATEGORIES
                                   if any(lang.CATEGORY_OF[a] == c for a in e['attributes'])]
        referent = next(o for o in objects if o['obj_id'] == e['obj_id'])
        assert all(referent[k] == v for k, v in values.items() if k != 'location')
        assert _denoted(objects, values, recorded, size / 8) == [e['obj_id']], e
        assert _denoted(objects, values, seen, 0.0) == [e['obj_id']], e
        assert e['trivial'] == (sum(o['class'] == referent['class'] for o in objects) == 1)
        if e['minimal']:  # no smaller set of words would do
            for drop in values:
                fewer = {k: v for k, v in values.items() if k != drop}
                if fewer:
                    assert _denoted(objects, fewer, recorded, size / 8) != [e['obj_id']]


def test_same_arguments_same_bytes_other_seed_differs(tmp_path):
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        generate_referring_shapes(str(tmp_path / name), 'train', 6, seed=seed)
        generate_referring_shapes_videos(str(tmp_path / name / 'v'), 'val', 2, num_frames=3,
                                         seed=seed)
    files = _files(tmp_path / 'a')
    assert len(files) == 2 * 6 + 1 + 2 * 2 * 3 + 1
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / 'a', tmp_path / 'b', files, shallow=False)
    assert not mismatch and not errors
    for f in ('expressions_train.json', 'v/expressions_val.json'):
        assert not filecmp.cmp(tmp_path / 'a' / f, tmp_path / 'c' / f, shallow=False)


def test_image_layout_and_unique_expressions(tmp_path):
    ann = generate_referring_shapes(str(tmp_path), 'val', 40, seed=1)
    assert ann == osp.join(str(tmp_path), 'expressions_val.json')
    data = _load(ann)
    assert data['info']['num_images'] == 40 and data['info']['kind'] == 'images'
    assert len(data['images']) == 40
    assert len({e['expr_id'] for e in data['expressions']}) == len(data['expressions'])
    for entry in data['images']:
        name = entry['image']
        img = np.array(Image.open(tmp_path / 'JPEGImages' / 'val' / f'{name}.jpg'))
        assert img.shape == (64, 64, 3)
        assert 2 <= len(entry['objects']) <= 4
        exprs = [e for e in data['expressions'] if e['image'] == name]
        assert all(e['expr_id'] == f'{name}/{e["obj_id"]}' for e in exprs)
        _check_scene(str(tmp_path), 'val', entry, exprs)
        ids = _masks(str(tmp_path), 'val', name)[0]
        for o in entry['objects']:  # the pixels show the named colour
            mean = img[ids == o['obj_id']].mean(0)
            nearest = min(COLOURS, key=lambda c: np.abs(mean - COLOURS[c]).sum())
            assert nearest == o['colour']
            assert o['radius'] <= 9 if o['size'] == 'small' else o['radius'] >= 13


@pytest.mark.parametrize('fraction', [0.5, 0.9])
def test_nontrivial_fraction_is_met(tmp_path, fraction):
    data = _load(generate_referring_shapes(str(tmp_path), 'train', 30, seed=2,
                                           nontrivial_fraction=fraction))
    flags = [e['trivial'] for e in data['expressions']]
    assert 1 - np.mean(flags) >= fraction
    assert any(flags)  # still a mix


def test_colour_and_size_independent_of_class_many_word_sets(tmp_path):
    data = _load(generate_referring_shapes(str(tmp_path), 'train', 150, seed=0,
                                           redundancy=0.3))
    objects = [o for entry in data['images'] for o in entry['objects']]
    assert {(o['class'], o['colour']) for o in objects} == \
        {(c, k) for c in ('circle', 'square', 'triangle') for k in COLOURS}
    assert {(o['class'], o['size']) for o in objects} == \
        {(c, s) for c in ('circle', 'square', 'triangle') for s in SIZES}
    word_sets = {tuple(e['attributes']) for e in data['expressions']}
    assert len(word_sets) >= 10 and {d for e in data['expressions']
                                     for d in [e['values'].get('location')]} >= set(lang.DIRECTIONS)
    assert any(not e['minimal'] for e in data['expressions'])


def test_videos_move_smoothly_and_location_words_hold_on_every_frame(tmp_path):
    ann = generate_referring_shapes_videos(str(tmp_path), 'train', 12, num_frames=6, seed=5)
    data = _load(ann)
    assert data['info']['kind'] == 'videos' and len(data['videos']) == 12
    moved = 0
    for entry in data['videos']:
        name, frames = entry['video'], entry['frames']
        assert frames == [f'{t:05d}' for t in range(6)]
        for f in frames:
            assert osp.isfile(tmp_path / 'JPEGImages' / 'train' / name / f'{f}.jpg')
        for o in entry['objects']:
            c = _centers(o)
            assert np.abs(np.diff(c, 2, axis=0)).max() < 1e-2  # constant velocity
            moved += np.abs(c[-1] - c[0]).max() > 2
        exprs = [e for e in data['expressions'] if e['video'] == name]
        _check_scene(str(tmp_path), 'train', entry, exprs, frames, min_visible=0.7)
    assert moved > 0
    assert any('location' in e['values'] for e in data['expressions'])


def test_relative_location_semantics():
    def obj(i, colour, shape, x, y=32.0):
        return RefObject(i, shape, colour, 'big', 13, 0.0, 0.0, np.array([[x, y]]))
    objs = [obj(1, 'red', 'circle', 10), obj(2, 'blue', 'circle', 30), obj(3, 'red', 'square', 50)]
    assert lang.referents(objs, {'colour': 'red', 'location': 'left'}, 8) == [1]
    assert lang.referents(objs, {'class': 'circle', 'location': 'right'}, 8) == [2]
    assert lang.referents(objs, {'location': 'top'}, 8) == []  # nobody is higher by 8 px
    rng = np.random.default_rng(0)
    values = lang.minimal_description(objs, objs[1], rng, 8)
    assert len(values) == 1 and lang.referents(objs, values, 8) == [2]
    for _ in range(5):
        words = lang.render_sentence({'size': 'big', 'colour': 'red', 'class': 'square'},
                                     rng).split()
        assert words[-2:] in (['red', 'square'], ['red', 'box']) and words[-3] in ('big', 'large')


def test_datasets_follow_the_contract_and_regenerate_only_when_stale(tmp_path, mmseg_scope):
    cfg = dict(type='ReferringShapesDataset', data_root=str(tmp_path / 'img'), split='val',
               num_images=5, seed=1, pipeline=[])
    ds = DATASETS.build(cfg)
    assert ds.metainfo['classes'] == ('background', 'referent')
    data = _load(tmp_path / 'img' / 'expressions_val.json')
    assert len(ds) == len(data['expressions'])
    info = ds.get_data_info(0)
    assert CONTRACT_KEYS <= set(info)
    assert info['video'] is None and info['frame_id'] is None
    assert info['ref_mask'] == dict(type='index_png', obj_id=info['object_id'],
                                    path=osp.join(str(tmp_path / 'img'), 'Annotations', 'val',
                                                  info['expr_id'].split('/')[0] + '.png'))
    assert osp.isfile(info['img_path']) and info['seg_fields'] == []
    stamp = os.stat(tmp_path / 'img' / 'expressions_val.json').st_mtime_ns
    assert len(DATASETS.build(cfg)) == len(ds)  # current: reused as is
    assert os.stat(tmp_path / 'img' / 'expressions_val.json').st_mtime_ns == stamp
    assert len(DATASETS.build(dict(cfg, num_images=3))) < len(ds)  # stale: regenerated

    vds = DATASETS.build(dict(type='ReferringShapesVideoDataset', data_root=str(tmp_path / 'v'),
                              split='val', num_videos=3, num_frames=4, pipeline=[]))
    vdata = _load(tmp_path / 'v' / 'expressions_val.json')
    assert len(vds) == 4 * len(vdata['expressions'])
    infos = [vds.get_data_info(i) for i in range(len(vds))]
    assert all(CONTRACT_KEYS <= set(i) for i in infos)
    first = [i for i in infos if i['expr_id'] == infos[0]['expr_id']]
    assert [i['frame_id'] for i in first] == [0, 1, 2, 3]
    assert {i['video'] for i in first} == {infos[0]['expr_id'].split('/')[0]}
    assert first[2]['img_path'].endswith(osp.join(first[2]['video'], '00002.jpg'))
    with pytest.raises(ValueError, match='another data_root'):
        DATASETS.build(dict(type='ReferringShapesVideoDataset', data_root=str(tmp_path / 'img'),
                            split='val', num_videos=2, pipeline=[]))


def test_referent_mask_reads_through_the_pipeline(tmp_path, mmseg_scope):
    ds = DATASETS.build(dict(type='ReferringShapesDataset', data_root=str(tmp_path),
                             split='val', num_images=3, pipeline=[]))
    info = ds.get_data_info(1)
    with Image.open(info['ref_mask']['path']) as im:
        expected = (np.array(im) == info['object_id']).astype(np.uint8)
    assert expected.sum() > 50
    if importlib.util.find_spec('mmsegsup.datasets.transforms.referring') is None:
        return  # the transform's own helper has not landed: the PIL read above is the check
    import mmsegsup.datasets.transforms.referring  # noqa: F401  (registers LoadReferringMask)
    ds = DATASETS.build(dict(
        type='ReferringShapesDataset', data_root=str(tmp_path), split='val', num_images=3,
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadReferringMask'),
                  dict(type='PackSegInputs', meta_keys=META_KEYS)]))
    sample = ds[1]['data_samples']
    assert np.array_equal(sample.gt_sem_seg.data[0].numpy(), expected)
    assert sample.metainfo['expression'] == info['expression']
    assert sample.metainfo['video'] is None and sample.metainfo['object_id'] == info['object_id']


def test_bad_arguments_and_damaged_files(tmp_path, mmseg_scope):
    for bad in (dict(nontrivial_fraction=1.5), dict(min_objects=1), dict(size=16),
                dict(redundancy=-0.1), dict(max_objects=9)):
        with pytest.raises(ValueError):
            generate_referring_shapes(str(tmp_path), 'train', 2, **bad)
    with pytest.raises(ValueError, match='num_frames'):
        generate_referring_shapes_videos(str(tmp_path), 'train', 2, num_frames=0)
    with pytest.raises(ValueError, match='data_root'):
        DATASETS.build(dict(type='ReferringShapesDataset', pipeline=[]))
    ann = generate_referring_shapes(str(tmp_path), 'train', 2)
    data = _load(ann)
    del data['expressions'][0]['sentence']  # current stamp, broken record
    with open(ann, 'w') as f:
        json.dump(data, f)
    with pytest.raises(FormatError, match='expressions_train.json'):
        DATASETS.build(dict(type='ReferringShapesDataset', data_root=str(tmp_path),
                            num_images=2, pipeline=[]))
    with open(ann, 'w') as f:
        f.write('{not json')  # damaged: regenerated rather than trusted
    assert len(DATASETS.build(dict(type='ReferringShapesDataset', data_root=str(tmp_path),
                                   num_images=2, pipeline=[]))) == len(data['expressions'])
