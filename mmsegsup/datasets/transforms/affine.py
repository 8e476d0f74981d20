"""The random affine augmentation of imatge-upc/rvos (torchsample's), shared by a clip's frames.

imatge-upc/rvos vendors torchsample's affine transforms (src/dataloader/transforms/transforms.py,
utils.py). Read from the code, not its docstrings:

- one 3x3 matrix ``R @ T @ S @ Z`` (transforms.py:87-89: rotation, translation, shear, zoom, in
  that order) maps every *output* pixel ``(row, col)``, centred on ``(H / 2 - 0.5, W / 2 - 0.5)``,
  to the input pixel it samples (utils.py:110-120): an inverse map, so a zoom above 1 zooms out;
- rotation ``U(-r, r)`` degrees, ``[[cos, -sin], [sin, cos]]`` in (row, col) (transforms.py:212,
  300-303); translation ``U(-t, t) * H`` rows and ``U(-t, t) * W`` columns (:355-357, 456-461);
- shear ``U(-s, s)`` **degrees** (:500, 573-576: ``pi * value / 180``; the docstring says
  radians), ``[[1, -sin], [0, cos]]``;
- zoom ``U(z0, z1)`` drawn independently for rows and columns (:622-623, 715-718), with
  ``zoom_range=(zoom, max(2 * zoom, 1))`` = (0.7, 1.4) for the default ``-zoom 0.7``
  (youtubeVOS.py:63-68, args.py:90-93);
- nearest sampling for images and masks alike (``interp='nearest'``, youtubeVOS.py:67), with the
  source coordinates clamped to the image (utils.py:136-137: the border is replicated, no fill),
  rounded half to even as ``torch.round``.

The original draws the matrix once per clip, at its first frame, and applies it to every frame
(dataset.py:144-151), after the per-clip horizontal flip (:102, 136-139) and the resize to the
training resolution (:126-128). Here that sharing comes from
``TransformBroadcaster(share_random_params=True)``: the random draw is a ``cache_randomness``
method, so a clip's frames get one draw, and ``RandomFlip`` before it shares its flip likewise.

mmdet's ``RandomAffine`` is not this transform: it scales both axes by one factor, shears both
axes, fills the border with a constant and interpolates images bilinearly.
"""
import math
from typing import Dict, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.structures.mask import BitmapMasks
from mmsegsup.registry import TRANSFORMS

SHEAR_UNITS = ('degree', 'radian')


def torchsample_affine_matrix(rotation: float, translate: Tuple[float, float], shear: float,
                              zoom: Tuple[float, float], size: Tuple[int, int],
                              shear_unit: str = 'degree') -> np.ndarray:
    """The original's 3x3 float32 matrix ``R @ T @ S @ Z`` for an image of ``size`` (H, W).

    ``rotation`` in degrees, ``translate`` as fractions of (H, W), ``shear`` in ``shear_unit``,
    ``zoom`` the (row, column) factors. It maps centred output (row, col) to input (row, col).
    """
    if shear_unit not in SHEAR_UNITS:
        raise ValueError(f'shear_unit must be one of {SHEAR_UNITS}, got {shear_unit!r}')
    theta = math.pi / 180 * rotation
    rot = [[math.cos(theta), -math.sin(theta), 0], [math.sin(theta), math.cos(theta), 0],
           [0, 0, 1]]
    trans = [[1, 0, translate[0] * size[0]], [0, 1, translate[1] * size[1]], [0, 0, 1]]
    phi = math.pi * shear / 180 if shear_unit == 'degree' else shear
    shr = [[1, -math.sin(phi), 0], [0, math.cos(phi), 0], [0, 0, 1]]
    zm = [[zoom[0], 0, 0], [0, zoom[1], 0], [0, 0, 1]]
    mats = [np.asarray(m, np.float32) for m in (rot, trans, shr, zm)]
    return mats[0] @ mats[1] @ mats[2] @ mats[3]  # float32 products, as th.FloatTensor.mm


def affine_source_index(matrix: np.ndarray, size: Tuple[int, int]) -> Tuple[np.ndarray,
                                                                            np.ndarray]:
    """Per output pixel, the (row, col) input pixel that nearest sampling reads (th_affine2d
    with ``center=True`` and th_nearest_interp2d: clamp to the image, then round)."""
    h, w = size
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing='ij')
    ci, cj = np.float32(h / 2. - 0.5), np.float32(w / 2. - 0.5)
    y, x = rows - ci, cols - cj
    a = matrix.astype(np.float32)
    src_r = a[0, 0] * y + a[0, 1] * x + a[0, 2] + ci
    src_c = a[1, 0] * y + a[1, 1] * x + a[1, 2] + cj
    src_r = np.rint(np.clip(src_r, 0, h - 1)).astype(np.int64)
    src_c = np.rint(np.clip(src_c, 0, w - 1)).astype(np.int64)
    return src_r, src_c


@TRANSFORMS.register_module()
class TorchsampleRandomAffine(BaseTransform):
    """Random rotation, translation, shear and zoom of ``img`` and ``gt_masks`` as
    imatge-upc/rvos trains (module docstring: the exact semantics, with file:line).

    Put it inside ``TransformBroadcaster(share_random_params=True)`` after the ``Resize`` and
    the ``RandomFlip`` to give every frame of a clip the same transform, as the original.
    Objects pushed out of the image keep an empty mask (the original's target is then empty).
    The applied parameters go to ``results['affine_params']``.

    Args:
        rotation_range: degrees r of ``U(-r, r)`` (original ``-rotation 10``).
        translation_range: fraction t of ``U(-t, t)`` of the height and width, or one per axis
            (original ``-translation 0.1``).
        shear_range: s of ``U(-s, s)`` in ``shear_unit`` (original ``-shear 0.1``).
        zoom_range: (z0, z1) of the per-axis ``U(z0, z1)`` zoom (original (0.7, 1.4)).
        shear_unit: 'degree', what the original code computes (0.1 degree: a near-identity
            shear), or 'radian', what its docstring and the thesis text read (0.1 rad = 5.7
            degrees).
    """

    def __init__(self, rotation_range: float = 10.0,
                 translation_range: Union[float, Sequence[float]] = 0.1,
                 shear_range: float = 0.1, zoom_range: Sequence[float] = (0.7, 1.4),
                 shear_unit: str = 'degree') -> None:
        if shear_unit not in SHEAR_UNITS:
            raise ValueError(f'shear_unit must be one of {SHEAR_UNITS}, got {shear_unit!r}')
        if isinstance(translation_range, (int, float)):
            translation_range = (translation_range, translation_range)
        if len(translation_range) != 2 or len(zoom_range) != 2:
            raise ValueError('translation_range takes one value or (rows, cols); zoom_range '
                             f'(low, high); got {translation_range} and {zoom_range}')
        if not 0 < zoom_range[0] <= zoom_range[1]:
            raise ValueError(f'zoom_range must be 0 < low <= high, got {zoom_range}')
        self.rotation_range = float(rotation_range)
        self.translation_range = tuple(float(t) for t in translation_range)
        self.shear_range = float(shear_range)
        self.zoom_range = tuple(float(z) for z in zoom_range)
        self.shear_unit = shear_unit

    @cache_randomness
    def draw_params(self) -> Dict[str, object]:
        """Random ``rotation``, ``translate``, ``shear``, ``zoom`` for :meth:`warp`; one draw per
        clip under ``share_random_params`` (transforms.py:212, 355-357, 500, 622-623)."""
        r, (th, tw), s, (z0, z1) = (self.rotation_range, self.translation_range,
                                    self.shear_range, self.zoom_range)
        return dict(rotation=float(np.random.uniform(-r, r)),
                    translate=(float(np.random.uniform(-th, th)),
                               float(np.random.uniform(-tw, tw))),
                    shear=float(np.random.uniform(-s, s)),
                    zoom=(float(np.random.uniform(z0, z1)), float(np.random.uniform(z0, z1))))

    def transform(self, results: dict) -> dict:
        return self.warp(results, self.draw_params())

    def warp(self, results: dict, params: Dict[str, object]) -> dict:
        """Warp ``img`` (and ``gt_masks``) of ``results`` with the given parameters (those of
        :meth:`draw_params`)."""
        img = results['img']
        size = img.shape[:2]
        matrix = torchsample_affine_matrix(size=size, shear_unit=self.shear_unit, **params)
        src_r, src_c = affine_source_index(matrix, size)
        results['img'] = np.ascontiguousarray(img[src_r, src_c])
        masks = results.get('gt_masks')
        if masks is not None:
            if not isinstance(masks, BitmapMasks):
                raise TypeError(f'{results.get("img_path")}: TorchsampleRandomAffine warps '
                                f'BitmapMasks, got {type(masks).__name__}')
            if masks.masks.shape[1:] != tuple(size):
                raise ValueError(f'{results.get("img_path")}: masks are '
                                 f'{masks.masks.shape[1:]} but the image is {tuple(size)}')
            results['gt_masks'] = BitmapMasks(
                np.ascontiguousarray(masks.masks[:, src_r, src_c]), *size)
        results['affine_params'] = dict(params, shear_unit=self.shear_unit)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rotation_range={self.rotation_range}, '
                f'translation_range={self.translation_range}, shear_range={self.shear_range}, '
                f'zoom_range={self.zoom_range}, shear_unit={self.shear_unit!r})')
