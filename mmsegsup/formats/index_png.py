"""Index PNGs: palette ('P') or 8-bit grey ('L') PNGs whose pixel values are ids.

DAVIS / YouTube-VOS annotations and results, VOC / SBD class and object maps and the synthetic
data all store ids this way. Reading them as colour would give colours instead of ids, so every
other mode is refused, naming the file.

Decoding dominates an evaluation over these files (two PNGs per scored frame), so the common
case -- 8 bits per pixel, not interlaced, every row stored with PNG filter 0 ('None'), as PIL
and most tools write palette images -- is read with ``zlib`` alone (half PIL's time, same
pixels); PIL decodes everything else.
"""
import os.path as osp
import struct
import zlib
from io import BytesIO
from typing import Optional, Sequence, Tuple, Type

import numpy as np
from PIL import Image

from ..utils.io import write_bytes_atomic
from .errors import FormatError, MissingFileError

INDEX_MODES = ('P', 'L')
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_INDEX_COLOR_TYPES = (0, 3)  # grey ('L'), palette ('P')


def _decode_unfiltered_png(data: bytes) -> Optional[np.ndarray]:
    """The ``(H, W)`` samples of an 8-bit grey or palette, non-interlaced PNG whose rows all
    use filter 0, or None for any other file (left to PIL, which also reports the faults)."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    pos, header, idat = len(_PNG_SIGNATURE), None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack_from('>I4s', data, pos)
        if kind == b'IHDR':
            header = data[pos + 8:pos + 8 + length]
        elif kind == b'IDAT':
            idat.append(data[pos + 8:pos + 8 + length])
        elif kind == b'IEND':
            break
        pos += 12 + length
    if header is None or len(header) != 13:
        return None
    width, height, depth, color, method, filtering, interlace = struct.unpack('>IIBBBBB', header)
    if (depth, method, filtering, interlace) != (8, 0, 0, 0) or color not in _INDEX_COLOR_TYPES:
        return None
    try:
        raw = zlib.decompress(b''.join(idat))
    except zlib.error:
        return None
    if len(raw) != height * (width + 1):
        return None
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, width + 1)
    if rows[:, 0].any():  # a row with a filter other than 'None'
        return None
    return rows[:, 1:].copy()


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
    with open(path, 'rb') as f:
        data = f.read()
    fast = _decode_unfiltered_png(data)
    if fast is not None:
        return fast
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
