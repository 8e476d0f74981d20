"""Atomic writers: a reader never sees a half-written file, an interruption leaves none."""
import csv
import io
import json
import os
import tempfile
from typing import Any, Iterable, Mapping, Sequence

import cv2
import numpy as np


def _atomic(path: str, write) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp-', suffix=os.path.splitext(path)[1])
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def dump_json_atomic(obj: Any, path: str) -> None:
    """Write ``obj`` as JSON to ``path`` through a temp file and a rename."""
    _atomic(path, lambda f: f.write(json.dumps(obj).encode('utf-8')))


def write_text_atomic(text: str, path: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temp file and a rename."""
    _atomic(path, lambda f: f.write(text.encode('utf-8')))


def write_csv_atomic(rows: Iterable[Mapping[str, Any]], fields: Sequence[str],
                     path: str) -> None:
    """Write ``rows`` (dicts) as CSV under a header of ``fields``, atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(buf.getvalue(), path)


def imwrite_atomic(img: np.ndarray, path: str) -> None:
    """Encode ``img`` (BGR or gray) by the extension of ``path`` and write it atomically."""
    ok, buf = cv2.imencode(os.path.splitext(path)[1], img)
    if not ok:
        raise ValueError(f'could not encode an image of shape {img.shape} for {path}')
    _atomic(path, lambda f: f.write(buf.tobytes()))


def write_bytes_atomic(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename."""
    _atomic(path, lambda f: f.write(data))
