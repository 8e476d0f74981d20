"""Make the affine-augmentation fixtures by running imatge-upc/rvos's own transforms.

    python make_affine_cases.py --src ORIGINAL_RVOS/src --out OUT_DIR

``--src`` is the ``src/`` folder of a checkout of imatge-upc/rvos; nothing of it is copied here.
The script imports the original ``dataloader/transforms/transforms.py`` (torchsample's affine
transforms: torch, numpy, math and random only) from that path and, per case, builds the matrix
as the original's ``RandomAffine`` does (transforms.py:87-89: ``Rotate``, ``Translate``,
``Shear``, ``Zoom`` matrices with ``lazy=True``, composed with ``mm`` in that order) from fixed
values instead of random draws, then applies ``Affine(matrix, interp='nearest')`` to an image
and an annotation as ``dataset.py:147-149`` does (CHW tensors; the annotation (1, H, W)).
Writes ``affine_cases.npz`` (per case ``<name>_img`` / ``_ann`` inputs, HWC uint8 and HW uint8,
and ``_img_out`` / ``_ann_out``) and ``affine_cases.json`` (the values). Deterministic.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch

# name: (H, W, rotation deg, (translate rows, cols) as fractions, shear, (zoom rows, cols))
CASES = {
    'identity': (20, 35, 0.0, (0.0, 0.0), 0.0, (1.0, 1.0)),
    'rotate_max': (20, 35, 10.0, (0.0, 0.0), 0.0, (1.0, 1.0)),
    'zoom_in_out': (33, 18, 0.0, (0.0, 0.0), 0.0, (0.7, 1.4)),
    'translate': (24, 31, 0.0, (0.1, -0.1), 0.0, (1.0, 1.0)),
    'shear_30deg': (24, 31, 0.0, (0.0, 0.0), 30.0, (1.0, 1.0)),
    'all_at_once': (27, 40, -7.3, (-0.06, 0.09), 0.1, (1.31, 0.77)),
    'all_large_shear': (40, 27, 4.2, (0.08, 0.03), -20.0, (0.9, 1.2)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--src', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    sys.path.insert(0, osp.join(args.src, 'dataloader'))
    from transforms.transforms import Affine, Rotate, Shear, Translate, Zoom  # the original
    rng = np.random.default_rng(13)
    arrays, values = {}, {}
    for name, (h, w, rot, tr, sh, zm) in CASES.items():
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ann = np.zeros((h, w), np.uint8)  # three blocks of object ids, background 0
        ann[h // 5:h // 2, w // 6:w // 2] = 1
        ann[h // 2:, w // 2:] = 2
        ann[:h // 4, 3 * w // 4:] = 3
        x = torch.from_numpy(img.transpose(2, 0, 1).copy()).float()
        y = torch.from_numpy(ann[None].copy()).float()
        mats = [Rotate(rot, lazy=True)(x), Translate(list(tr), lazy=True)(x),
                Shear(sh, lazy=True)(x), Zoom(list(zm), lazy=True)(x)]
        matrix = mats[0]
        for m in mats[1:]:
            matrix = matrix.mm(m)
        x_out, y_out = Affine(matrix, interp='nearest')(x, y)
        arrays[f'{name}_img'] = img
        arrays[f'{name}_ann'] = ann
        arrays[f'{name}_img_out'] = x_out.numpy().transpose(1, 2, 0).astype(np.uint8)
        arrays[f'{name}_ann_out'] = y_out.numpy()[0].astype(np.uint8)
        values[name] = dict(size=[h, w], rotation=rot, translate=list(tr), shear=sh,
                            zoom=list(zm), matrix=matrix.numpy().tolist())
    np.savez_compressed(osp.join(args.out, 'affine_cases.npz'), **arrays)
    with open(osp.join(args.out, 'affine_cases.json'), 'w') as f:
        json.dump(dict(source='imatge-upc/rvos src/dataloader/transforms/transforms.py',
                       cases=values), f, indent=1)


if __name__ == '__main__':
    main()
