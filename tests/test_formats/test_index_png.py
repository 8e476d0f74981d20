"""read_index_png: the zlib-only fast path gives PIL's pixels, and every other PNG still goes
through PIL (filtered rows, low bit depths, grey), with the same errors for bad files."""
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from mmsegsup.formats.errors import FormatError, MissingFileError
from mmsegsup.formats.index_png import _decode_unfiltered_png, read_index_png, write_index_png
from mmsegsup.formats.palettes import DAVIS_PALETTE


def _ids(h=37, w=53, top=9, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, top + 1, (h, w)).astype(np.uint8)


def _pil(path):
    return np.array(Image.open(path))


@pytest.mark.parametrize('shape', [(1, 1), (1, 40), (40, 1), (37, 53), (480, 854)])
def test_fast_path_equals_pil_on_palette_pngs(tmp_path, shape):
    ids = _ids(*shape, top=255)
    path = str(tmp_path / 'p.png')
    write_index_png(ids, path, DAVIS_PALETTE)
    with open(path, 'rb') as f:
        assert _decode_unfiltered_png(f.read()) is not None  # PIL writes palette rows unfiltered
    out = read_index_png(path)
    assert out.dtype == np.uint8 and out.flags.writeable and out.flags.c_contiguous
    assert np.array_equal(out, _pil(path)) and np.array_equal(out, ids)


def test_other_pngs_fall_back_to_pil(tmp_path):
    ids = _ids(top=3)
    cases = {}
    grey = str(tmp_path / 'grey.png')
    Image.fromarray(ids, mode='L').save(grey)
    cases['grey'] = grey
    low = str(tmp_path / 'low.png')  # 2-bit palette: optimize packs 4 ids per byte
    img = Image.fromarray(ids, mode='P')
    img.putpalette([c for rgb in DAVIS_PALETTE[:4] for c in rgb])
    img.save(low, optimize=True, bits=2)
    cases['low'] = low
    filtered = str(tmp_path / 'filtered.png')  # OpenCV filters grey rows (Sub/Up/Paeth ...)
    cv2.imwrite(filtered, np.tile(np.arange(53, dtype=np.uint8), (37, 1)))
    cases['filtered'] = filtered
    for name, path in cases.items():
        assert np.array_equal(read_index_png(path), _pil(path)), name
    with open(filtered, 'rb') as f:
        assert _decode_unfiltered_png(f.read()) is None


def test_bad_files_raise_as_before(tmp_path):
    with pytest.raises(MissingFileError):
        read_index_png(str(tmp_path / 'none.png'))
    rgb = str(tmp_path / 'rgb.png')
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(rgb)
    with pytest.raises(FormatError, match="mode-RGB"):
        read_index_png(rgb)
    text = tmp_path / 'text.png'
    text.write_text('not a png')
    with pytest.raises(FormatError, match='cannot be read'):
        read_index_png(str(text))
    good = str(tmp_path / 'good.png')
    write_index_png(_ids(), good, DAVIS_PALETTE)
    data = open(good, 'rb').read()
    truncated = tmp_path / 'truncated.png'
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(FormatError):
        read_index_png(str(truncated))


def test_fast_path_refuses_inconsistent_streams():
    ids = _ids(5, 6)
    raw = b''.join(b'\x00' + row.tobytes() for row in ids)

    def png(ihdr, body):
        def chunk(kind, data):
            return (len(data).to_bytes(4, 'big') + kind + data
                    + zlib.crc32(kind + data).to_bytes(4, 'big'))
        return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', body)
                + chunk(b'IEND', b''))

    header = (6).to_bytes(4, 'big') + (5).to_bytes(4, 'big') + bytes([8, 3, 0, 0, 0])
    assert np.array_equal(_decode_unfiltered_png(png(header, zlib.compress(raw))), ids)
    assert _decode_unfiltered_png(png(header, zlib.compress(raw[:-1]))) is None  # short
    assert _decode_unfiltered_png(png(header, b'garbage')) is None
    interlaced = header[:-1] + b'\x01'
    assert _decode_unfiltered_png(png(interlaced, zlib.compress(raw))) is None
    rgb = header[:9] + b'\x02' + header[10:]
    assert _decode_unfiltered_png(png(rgb, zlib.compress(raw))) is None
