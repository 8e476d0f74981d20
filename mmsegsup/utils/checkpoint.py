"""Safe checkpoint loading on torch >= 2.6 (``weights_only=True`` by default).

MMEngine checkpoints carry, besides tensors, the message hub (``HistoryBuffer`` objects holding
numpy arrays) and plain metadata. Instead of loading with ``weights_only=False`` (which runs
arbitrary pickled code), we allow-list exactly the globals those files need.
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


def _numpy_globals() -> List[object]:
    """numpy reconstructors and dtype classes that pickled arrays and scalars refer to."""
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    names = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    names += [type(np.dtype(t)) for t in ('b1', 'u1', 'i1', 'i2', 'i4', 'i8', 'u2', 'u4', 'u8',
                                          'f2', 'f4', 'f8')]
    return names


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """The only ``getattr`` a checkpoint may call: a statistics method of ``HistoryBuffer``.

    ``HistoryBuffer.__getstate__`` pickles its ``{'min': HistoryBuffer.min, ...}`` table, which
    protocol 2 writes as ``getattr(HistoryBuffer, 'min')``. Allowing the real ``getattr`` would
    let a crafted file walk to arbitrary objects, so anything else is refused.
    """
    allowed = set(HistoryBuffer._statistics_methods) | {'min', 'max', 'mean', 'current'}
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({getattr(obj, "__name__", type(obj).__name__)}, '
            f'{name!r}); only HistoryBuffer statistics methods are allowed')
    return getattr(HistoryBuffer, name)


def allow_mmengine_checkpoint_globals() -> None:
    """Register what MMEngine's checkpoints need with ``torch.serialization``.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # pragma: no cover - torch < 2.4
        return
    add([HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), *_numpy_globals()])
