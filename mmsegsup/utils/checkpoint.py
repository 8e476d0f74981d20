"""Safe checkpoint loading on torch >= 2.6 (``weights_only=True`` by default).

MMEngine checkpoints carry, besides tensors, the message hub (``HistoryBuffer`` objects holding
numpy arrays) and plain metadata. Instead of loading with ``weights_only=False`` (which runs
arbitrary pickled code), we allow-list exactly the globals those files need.
"""
from typing import List

import numpy as np
import torch


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


def allow_mmengine_checkpoint_globals() -> None:
    """Register what MMEngine's checkpoints need with ``torch.serialization``.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:  # pragma: no cover - torch < 2.4
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    add([HistoryBuffer, *_numpy_globals()])
