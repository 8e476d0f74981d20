"""Resize steps of the original codes: torchvision's ``F.resize(img, size)`` with an int size
(shorter side to ``size``) for the original RefVOS training transform (issue 14), and mmdet's
``Resize`` whose instance masks follow ``backend`` (PIL for imatge-upc/rvos, issue 26)."""
from typing import Tuple

import mmcv
import numpy as np
from mmcv.transforms import Resize
from mmdet.datasets.transforms import Resize as MMDetResize
from mmdet.structures.mask import BitmapMasks
from mmsegsup.registry import SEG_TRANSFORMS as TRANSFORMS
from mmsegsup.registry import TRANSFORMS as DET_TRANSFORMS


def shorter_side_size(height: int, width: int, size: int) -> Tuple[int, int]:
    """``(new_w, new_h)`` of torchvision's int-size resize: the shorter side becomes ``size``,
    the longer one ``int(size * long / short)`` (rounded down, where mmcv's keep-ratio resize
    rounds to nearest; torchvision ``_compute_resized_output_size``)."""
    if height <= 0 or width <= 0:
        raise ValueError(f'cannot resize an image of {height}x{width} (HxW)')
    if width <= height:
        return size, int(size * height / width)
    return int(size * width / height), size


@TRANSFORMS.register_module()
class ResizeShorterSide(Resize):
    """Resize the image (bilinear) and ``gt_seg_map`` (nearest) so the shorter side is
    ``size``, with torchvision's size rule (:func:`shorter_side_size`).

    The original RefVOS trains on ``RandomResize(416, 416)`` = ``F.resize(pil, 416)`` of PIL
    images (transforms.py:29-40), so the default ``backend='pillow'`` runs the same PIL
    ``resize`` call (antialiased bilinear, nearest for the target).

    Args:
        size: the shorter side after resizing.
        backend: ``'pillow'`` (as torchvision on PIL images) or ``'cv2'``.
        interpolation: of the image; the mask is always nearest.
    """

    def __init__(self, size: int, backend: str = 'pillow',
                 interpolation: str = 'bilinear') -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f'size must be a positive int (the shorter side), got {size!r}')
        super().__init__(scale_factor=1.0, keep_ratio=False, backend=backend,
                         interpolation=interpolation)
        self.size = size

    def transform(self, results: dict) -> dict:
        height, width = results['img'].shape[:2]
        results['scale'] = shorter_side_size(height, width, self.size)
        self._resize_img(results)
        self._resize_bboxes(results)
        self._resize_seg(results)
        self._resize_keypoints(results)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, backend={self.backend!r}, '
                f'interpolation={self.interpolation!r})')


@DET_TRANSFORMS.register_module(name='Resize')
class BackendResize(MMDetResize):
    """mmdet's ``Resize`` (registered as ``Resize`` in the mmsegsup scope) whose bitmap instance
    masks are resized with ``backend`` too; mmdet resizes them with OpenCV whatever
    ``backend`` says.

    imatge-upc/rvos resizes each frame and its palette annotation with scipy's ``imresize``
    (dataset.py:126-128), i.e. PIL: bilinear (antialiased when shrinking) for the frame,
    nearest for the ids. PIL's nearest takes source pixel ``floor((x + 0.5) * scale)``, OpenCV's
    ``floor(x * scale)``, so at non-integer ratios the masks differ along object borders, and a
    thin object can survive in one and vanish in the other. With ``backend='pillow'`` the frame
    and the masks are those of the original, bit for bit; ``'cv2'`` (the default) is mmdet's
    ``Resize`` unchanged. Resizing every mask with nearest equals resizing the id map first, as
    the original does, since nearest only picks source pixels.
    """

    def _resize_masks(self, results: dict) -> None:
        masks = results.get('gt_masks')
        if self.backend == 'cv2' or not isinstance(masks, BitmapMasks):
            super()._resize_masks(results)
            return
        h, w = results['img_shape'][:2]
        resized = [mmcv.imresize(m, (w, h), interpolation='nearest', backend=self.backend)
                   for m in masks.masks]
        results['gt_masks'] = BitmapMasks(
            np.stack(resized) if resized else np.zeros((0, h, w), np.uint8), h, w)
