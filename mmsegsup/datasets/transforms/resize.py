"""torchvision's ``F.resize(img, size)`` with an int size (shorter side to ``size``) as a
pipeline step, for the original RefVOS training transform (issue 14)."""
from typing import Tuple

from mmcv.transforms import Resize
from mmsegsup.registry import SEG_TRANSFORMS as TRANSFORMS


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
