"""The one "is the generated data current?" answer of every synthetic generator
(mmsegsup.formats.synthetic_cache): settings, layout version, damaged or missing stamps."""
import json

from mmsegsup.formats import synthetic_cache as cache


def test_stamp_puts_the_layout_version_first_and_keeps_the_settings_order():
    assert list(cache.stamp('shapes_videos', seed=1, size=64)) == ['layout_version', 'seed',
                                                                   'size']
    assert cache.stamp('shapes', seed=1) == {'seed': 1}  # settings only: no version


def test_is_current_follows_settings_version_key_and_required_files(tmp_path, monkeypatch):
    path, listed = tmp_path / 'meta.json', tmp_path / 'train.txt'
    path.write_text(json.dumps({'synthetic': dict(cache.stamp('shapes_ytvos', seed=1),
                                                  extra='recorded facts do not count')}))
    assert cache.is_current(str(path), 'shapes_ytvos', {'seed': 1}, key='synthetic')
    assert not cache.is_current(str(path), 'shapes_ytvos', {'seed': 2}, key='synthetic')
    assert not cache.is_current(str(path), 'shapes_ytvos', {'seed': 1})  # wrong place
    assert not cache.is_current(str(path), 'shapes_ytvos', {'seed': 1}, key='synthetic',
                                requires=[str(listed)])
    monkeypatch.setitem(cache.LAYOUT_VERSIONS, 'shapes_ytvos', 2)  # a layout change
    assert not cache.is_current(str(path), 'shapes_ytvos', {'seed': 1}, key='synthetic')


def test_missing_damaged_and_invalidated_stamps_mean_regenerate(tmp_path):
    path = tmp_path / 'stamp.json'
    assert cache.read_stamp(str(path)) is None
    path.write_text('{"layout_version": 1, "se')  # cut short
    assert cache.read_stamp(str(path)) is None
    path.write_text('[1, 2]')
    assert not cache.is_current(str(path), 'shapes_semantic', {})
    cache.invalidate(str(path))
    cache.invalidate(str(path))  # already gone: fine
    assert not path.exists()
