"""COCO instance data with input validation that names the file at fault."""
from typing import List, Union

from mmdet.datasets import CocoDataset
from mmsegsup.registry import DATASETS

from ..formats.coco_json import load_coco_json
from ..formats.errors import FormatError


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` that reports unreadable or inconsistent annotation files clearly.

    - an annotation file that is not valid COCO JSON raises :class:`FormatError` naming
      it (mmdet alone reports a bare ``JSONDecodeError``);
    - an RLE mask whose ``size`` differs from its image's ``height``/``width`` raises, naming the
      file, the image and the annotation id.
    Degenerate polygons (fewer than 3 points) are skipped by mmdet's ``LoadAnnotations``, which
    marks the instance ignored; images without instances are dropped in training by
    ``filter_cfg=dict(filter_empty_gt=True)``.
    """

    def load_data_list(self) -> List[dict]:
        try:
            return super().load_data_list()
        except (ValueError, KeyError, TypeError) as err:  # JSONDecodeError included
            load_coco_json(self.ann_file)  # the file's fault, named, if the format explains it
            raise FormatError(f'{self.ann_file}: malformed COCO entry ({err!r})') from err

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        img = raw_data_info['raw_img_info']
        for ann in raw_data_info['raw_ann_info']:
            seg = ann.get('segmentation')
            if isinstance(seg, dict) and 'size' in seg and \
                    list(seg['size']) != [img['height'], img['width']]:
                raise FormatError(
                    f'{self.ann_file}: annotation {ann.get("id")} of image '
                    f'{img.get("file_name")} has an RLE mask of size {list(seg["size"])}, but the '
                    f'image is declared {img["height"]}x{img["width"]}')
        return super().parse_data_info(raw_data_info)
