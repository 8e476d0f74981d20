"""Pipeline checks that turn silent shape mismatches into errors naming the image."""
from mmcv.transforms import BaseTransform
from mmsegsup.registry import TRANSFORMS

from ...formats.errors import FormatError


@TRANSFORMS.register_module()
class CheckImageAnnotations(BaseTransform):
    """Place right after ``LoadImageFromFile``: the image must have the size its annotation
    declares (``height``/``width`` of the data info), otherwise RLE masks decoded at the declared
    size would not fit it and mmdet fails later with an error that names no file."""

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        declared = (results.get('height'), results.get('width'))
        if None not in declared and tuple(declared) != (h, w):
            raise FormatError(
                f'{results.get("img_path")}: image is {h}x{w} but its annotation declares '
                f'{declared[0]}x{declared[1]}')
        return results
