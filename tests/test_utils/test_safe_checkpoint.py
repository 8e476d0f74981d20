"""Checkpoints load with weights_only=True; crafted pickles are refused, not executed."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmsegsup  # noqa: F401  (allow-lists the globals)


def test_mmengine_message_hub_round_trips_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('safe_ckpt_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    path = tmp_path / 'ckpt.pth'
    torch.save({'message_hub': hub.state_dict(), 'meta': {'seed': 0, 'iter': 3}}, path)
    loaded = torch.load(path, weights_only=True)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(0.375)
    assert buf.min() == pytest.approx(0.25)


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


class _SneakyGetattr:
    """Asks the allow-listed getattr for something other than a statistics method."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


@pytest.mark.parametrize('payload,match', [(_Evil(), 'system'), (_SneakyGetattr(), '__init__')])
def test_crafted_pickles_are_refused(tmp_path, payload, match):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': payload}, path)
    with pytest.raises(pickle.UnpicklingError, match=match):
        torch.load(path, weights_only=True)


def _poisoned_buffer() -> HistoryBuffer:
    """A real HistoryBuffer whose pickled state remaps 'mean' to 'max' for the whole process."""
    buf = HistoryBuffer()
    buf.update(1.0)
    state = dict(_log_history=np.array([1.0]), _count_history=np.array([1]), max_length=10,
                 statistics_methods={'mean': HistoryBuffer.max})
    buf.__getstate__ = lambda: state
    return buf


def test_loaded_buffers_cannot_remap_statistics(tmp_path):
    path = tmp_path / 'poison.pth'
    torch.save({'hub': _poisoned_buffer()}, path)
    loaded = torch.load(path, weights_only=True)['hub']
    assert type(loaded) is HistoryBuffer and loaded.current() == 1.0
    fresh = HistoryBuffer()
    fresh.update(1.0)
    fresh.update(5.0)
    assert fresh.statistics('mean') == pytest.approx(3.0)  # what the logger calls


def test_numpy1_checkpoint_names_are_accepted(tmp_path):
    hub = MessageHub.get_instance('numpy1_names')
    hub.update_scalar('loss', 1.0)
    path = tmp_path / 'np1.pth'
    torch.save({'message_hub': hub.state_dict()}, path)
    import zipfile
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    pkl = [n for n in files if n.endswith('data.pkl')][0]
    files[pkl] = files[pkl].replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
    np1 = tmp_path / 'np1_renamed.pth'
    with zipfile.ZipFile(np1, 'w') as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    buf = torch.load(np1, weights_only=True)['message_hub']['log_scalars']['loss']
    assert buf.current() == pytest.approx(1.0)
