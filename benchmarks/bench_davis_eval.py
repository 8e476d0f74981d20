"""DAVIS J&F evaluation throughput on a DAVIS-size synthetic folder (run by hand).

    .venv/bin/python benchmarks/bench_davis_eval.py [--sequences 30] [--frames 70] [--objects 3]

Writes a temporary DAVIS-layout root (480x854 palette PNG annotations with 2..``--objects``
moving ellipses per sequence, JPEG frames, ``ImageSets/2017/val.txt``) and a results folder
(the annotations shifted by a few pixels, one object dropped now and then), then times
:func:`evaluate_davis` for both tasks. Frames/s counts evaluated frames (semi-supervised drops
the first and the last of each sequence) and includes reading both PNGs of every frame.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmsegsup.evaluation import evaluate_davis  # noqa: E402
from mmsegsup.formats.index_png import write_index_png  # noqa: E402
from mmsegsup.formats.palettes import DAVIS_PALETTE  # noqa: E402

H, W = 480, 854
def _save_png(ids: np.ndarray, path: str) -> None:
    write_index_png(ids.astype(np.uint8), path, DAVIS_PALETTE)


def _sequence(rng: np.random.Generator, frames: int, objects: int) -> np.ndarray:
    """Moving, slowly growing ellipses; later ids drawn on top."""
    yy, xx = np.ogrid[:H, :W]
    out = np.zeros((frames, H, W), np.uint8)
    for k in range(1, objects + 1):
        cy, cx = rng.uniform(0.2, 0.8) * H, rng.uniform(0.2, 0.8) * W
        ry, rx = rng.uniform(30, 120), rng.uniform(30, 160)
        vy, vx = rng.normal(0, 2, 2)
        for t in range(frames):
            grow = 1 + 0.003 * t
            inside = (((yy - cy - vy * t) / (ry * grow)) ** 2
                      + ((xx - cx - vx * t) / (rx * grow)) ** 2)
            out[t][inside <= 1] = k
    return out


def build(root: str, results: str, sequences: int, frames: int, objects: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    names = [f'seq{i:02d}' for i in range(sequences)]
    os.makedirs(osp.join(root, 'ImageSets', '2017'))
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    black = Image.fromarray(np.zeros((H, W, 3), np.uint8))
    total = 0
    for name in names:
        gt = _sequence(rng, frames, int(rng.integers(2, objects + 1)))
        res = np.roll(gt, tuple(int(v) for v in rng.integers(-6, 7, 2)), axis=(1, 2))
        for folder in ('Annotations', 'Annotations_unsupervised'):
            os.makedirs(osp.join(root, folder, '480p', name))
        os.makedirs(osp.join(root, 'JPEGImages', '480p', name))
        os.makedirs(osp.join(results, name))
        for t in range(frames):
            stem = f'{t:05d}'
            black.save(osp.join(root, 'JPEGImages', '480p', name, stem + '.jpg'))
            for folder in ('Annotations', 'Annotations_unsupervised'):
                _save_png(gt[t], osp.join(root, folder, '480p', name, stem + '.png'))
            frame = res[t].copy()
            if rng.random() < 0.1:
                frame[frame == frame.max()] = 0  # a missed object
            _save_png(frame, osp.join(results, name, stem + '.png'))
        total += frames
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sequences', type=int, default=30)
    parser.add_argument('--frames', type=int, default=70)
    parser.add_argument('--objects', type=int, default=3, help='2..OBJECTS objects per sequence')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='bench_davis_') as tmp:
        root, results = osp.join(tmp, 'DAVIS'), osp.join(tmp, 'results')
        start = time.perf_counter()
        build(root, results, args.sequences, args.frames, args.objects, args.seed)
        build_s = time.perf_counter() - start
        rows = []
        for task in ('semi-supervised', 'unsupervised'):
            start = time.perf_counter()
            out = evaluate_davis(root, results, task=task, split='val', progress=False)
            seconds = time.perf_counter() - start
            rows.append((task, out['num_frames'], out['num_objects'], seconds,
                         out['num_frames'] / seconds, out['J&F-Mean']))
    print(f'\nDAVIS-size folder: {args.sequences} sequences x {args.frames} frames, {H}x{W}, '
          f'2-{args.objects} objects (built in {build_s:.1f} s)\n')
    print('| task | evaluated frames | objects | seconds | frames/s | J&F-Mean |')
    print('|---|---|---|---|---|---|')
    for task, frames, objects, seconds, fps, jf in rows:
        print(f'| {task} | {frames} | {objects} | {seconds:.2f} | {fps:.1f} | {jf:.3f} |')


if __name__ == '__main__':
    main()
