"""The data-side reference cases of issue 26 (``tests/data/original_refs/data/``): the tiny
datasets stored file by file, and the lossless coding of the loaders' frames.

Imports nothing of the project, so the generator (run in a scratch environment) imports it by
path and writes with the same code that the tests read with.
"""
import json
import os
import os.path as osp
from typing import Dict

import numpy as np


def layout_files(npz_path: str, json_path: str) -> Dict[str, bytes]:
    """``{relative path: bytes}`` of the tiny datasets (file ``i`` of the json's list is array
    ``f<i:03d>`` of the npz)."""
    with open(json_path) as f:
        rels = json.load(f)['files']
    data = np.load(npz_path)
    return {rel: data[f'f{i:03d}'].tobytes() for i, rel in enumerate(rels)}


def write_layouts(files: Dict[str, bytes], root: str) -> None:
    """Write the files under ``root`` (``YouTubeVOS/``, ``DAVIS2017/``, ``refer/``)."""
    for rel, data in files.items():
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)


def encode_frames(frames: np.ndarray) -> np.ndarray:
    """``(..., H, W, 3)`` uint8 -> planar ``(..., 3, H, W)`` differences along W then H, mod
    256: lossless, and about 5x smaller once compressed for the smooth resized frames."""
    planar = np.moveaxis(frames, -1, -3).astype(np.int16)
    diff = np.diff(np.diff(planar, axis=-1, prepend=0), axis=-2, prepend=0)
    return (diff % 256).astype(np.uint8)


def decode_frames(code: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_frames`."""
    planar = np.cumsum(np.cumsum(code.astype(np.int64), axis=-2), axis=-1) % 256
    return np.moveaxis(planar.astype(np.uint8), -3, -1)


def unpack_masks(bits: np.ndarray, width: int) -> np.ndarray:
    """Bool masks stored with ``np.packbits`` over the last axis (of length ``width``)."""
    return np.unpackbits(bits, axis=-1, count=width).astype(bool)
