"""Safe checkpoint loading on torch >= 2.6 (``weights_only=True`` by default).

MMEngine checkpoints carry, besides tensors, the message hub (``HistoryBuffer`` objects holding
numpy arrays) and plain metadata. Instead of loading with ``weights_only=False`` (which runs
arbitrary pickled code), we allow-list exactly what those files need, each piece restricted so
that a crafted file can neither reach other objects nor change process-wide state.
"""
import pickle
from typing import Any, List, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

_HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer'
_STATISTICS = frozenset({'min', 'max', 'mean', 'current'})


class _CheckedHistoryBuffer(HistoryBuffer):
    """Stands in for ``HistoryBuffer`` while unpickling.

    ``HistoryBuffer.__setstate__`` merges the file's ``statistics_methods`` into a class-level
    table shared by every buffer of the process; a crafted file could remap ``mean`` and
    silently corrupt all later logging. Only the genuine built-in methods are kept, then the
    object becomes a plain ``HistoryBuffer`` again, so saved files stay standard.
    """

    def __setstate__(self, state: dict) -> None:
        methods = state.pop('statistics_methods', {})
        if not isinstance(methods, dict):
            raise pickle.UnpicklingError('HistoryBuffer state: statistics_methods must be a dict')
        state['statistics_methods'] = {
            name: fn for name, fn in methods.items()
            if name in _STATISTICS and fn is getattr(HistoryBuffer, name)}
        HistoryBuffer.__setstate__(self, state)
        self.__class__ = HistoryBuffer


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """The only ``getattr`` a checkpoint may call: a built-in statistics method of
    ``HistoryBuffer`` (protocol 2 pickles ``HistoryBuffer.min`` as ``getattr(cls, 'min')``)."""
    if obj not in (HistoryBuffer, _CheckedHistoryBuffer) or name not in _STATISTICS:
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({getattr(obj, "__name__", type(obj).__name__)}, '
            f'{name!r}); only HistoryBuffer statistics methods are allowed')
    return getattr(HistoryBuffer, name)


def _bytes(*args: Any) -> bytes:
    """``bytes()`` as numpy pickles empty arrays; no size argument (a memory bomb) accepted."""
    if any(not isinstance(a, (bytes, bytearray)) for a in args) or len(args) > 1:
        raise pickle.UnpicklingError('checkpoint calls bytes() with unexpected arguments')
    return bytes(*args)


def _numpy_globals() -> List[Any]:
    """numpy reconstructors (under numpy 1.x and 2.x names) and dtype classes."""
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    named: List[Tuple[Any, str]] = []
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        named += [(multiarray._reconstruct, f'{module}._reconstruct'),
                  (multiarray.scalar, f'{module}.scalar')]
    dtypes = [type(np.dtype(t)) for t in ('b1', 'u1', 'i1', 'i2', 'i4', 'i8', 'u2', 'u4', 'u8',
                                          'f2', 'f4', 'f8')]
    return [*named, np.ndarray, np.dtype, *dtypes]


def allow_mmengine_checkpoint_globals() -> None:
    """Register what MMEngine's checkpoints need with ``torch.serialization``.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # pragma: no cover - torch < 2.4
        return
    add([(_CheckedHistoryBuffer, _HISTORY_BUFFER), (_history_buffer_getattr, 'builtins.getattr'),
         (_bytes, 'builtins.bytes'), *_numpy_globals()])
