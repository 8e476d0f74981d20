"""Index PNGs: palette ('P') or 8-bit grey ('L') PNGs whose pixel values are ids.

DAVIS / YouTube-VOS annotations and results, VOC / SBD class and object maps and the synthetic
data all store ids this way. Reading them as colour would give colours instead of ids, so every
other mode is refused, naming the file.
"""
import os.path as osp
from io import BytesIO
from typing import Sequence, Tuple, Type

import numpy as np
from PIL import Image

from ..utils.io import write_bytes_atomic
from .errors import FormatError, MissingFileError

INDEX_MODES = ('P', 'L')


def read_index_png(path: str, what: str = 'index PNG', content: str = 'object ids',
                   error: Type[FormatError] = FormatError,
                   missing: Type[MissingFileError] = MissingFileError) -> np.ndarray:
    """The ``(H, W)`` uint8 index map of ``path``.

    Args:
        what: what the file is to the caller ('annotation', 'result', ...), for messages.
        content: what the indices mean, for messages.
        error / missing: the :class:`FormatError` / :class:`MissingFileError` subclasses to
            raise (the DAVIS evaluator raises its protocol's).
    """
    if not osp.isfile(path):
        raise missing(f'{what} {path} not found', path)
    try:
        img = Image.open(path)
    except OSError as err:
        raise error(f'{what} {path} cannot be read as an image: {err}', path) from err
    with img:
        if img.mode not in INDEX_MODES:
            raise error(f"{path}: expected a palette ('P') or 8-bit grey ('L') indexed PNG of "
                        f'{content} ({what}), got a mode-{img.mode} image', path)
        try:
            return np.array(img, dtype=np.uint8)
        except OSError as err:  # truncated or corrupt data
            raise error(f'{what} {path} cannot be decoded: {err}', path) from err


def write_index_png(index_map: np.ndarray, path: str,
                    palette: Sequence[Tuple[int, int, int]]) -> None:
    """Write a 2-D ``uint8`` index map as a palette PNG, atomically (temp file + rename).

    ``palette`` is a sequence of (r, g, b) triples, one per index.
    """
    if index_map.dtype != np.uint8 or index_map.ndim != 2:
        raise ValueError(f'{path}: index maps must be 2-D uint8, got {index_map.dtype} '
                         f'{index_map.shape}')
    img = Image.fromarray(index_map, mode='P')
    img.putpalette([c for rgb in palette for c in rgb])
    buf = BytesIO()
    img.save(buf, format='PNG')
    write_bytes_atomic(buf.getvalue(), path)
