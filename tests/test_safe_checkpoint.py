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
