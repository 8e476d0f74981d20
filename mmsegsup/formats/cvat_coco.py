"""CVAT's COCO 1.0: our predicted masks as a file CVAT imports into a task, and CVAT's COCO
export back into our COCO.

CVAT reads and writes COCO through Datumaro. It matches a file's images to the task's frames
by file name and its categories to the task's labels by name, so ids in these files are the
tool's own: we renumber from 1 on the way out (Datumaro reads category 0 as "no label") and
match by name on the way back. Masks travel as uncompressed RLE with ``iscrowd: 1`` (what
CVAT writes for mask shapes), polygons with ``iscrowd: 0``; both come back as our masks
(compressed RLE, ``iscrowd: 0``: each is one object an annotator drew).
"""
from typing import Any, Dict, Mapping, Sequence

from .coco_json import check_coco_lists, entries_by_id
from .tool_labels import (DATUMARO_LICENSES, ExpectedLabels, compressed_counts,
                          describe_image, entry_name, instance_annotation, is_known,
                          predictions_by_image, segmentation_rle)

#: Datumaro's ``info`` block (empty fields), written with :data:`DATUMARO_LICENSES`.
DATUMARO_INFO = {'contributor': '', 'date_created': '', 'description': '', 'url': '',
                 'version': '', 'year': ''}


def to_cvat_coco(coco: dict, predictions: Sequence[dict]) -> dict:
    """A COCO 1.0 file CVAT imports into a task holding ``coco``'s images: the predicted
    masks (COCO results) as mask annotations with their score."""
    expected = ExpectedLabels(coco, 'predictions')
    preds = predictions_by_image(expected, predictions)
    category_ids = {cid: k for k, cid in enumerate(expected.category_ids.values(), 1)}
    images, annotations = [], []
    for k, image in enumerate(expected.images.values(), 1):
        images.append({'id': k, 'width': image['width'], 'height': image['height'],
                       'file_name': image['file_name'], 'license': 0, 'flickr_url': '',
                       'coco_url': '', 'date_captured': 0})
        for pred in preds[image['id']]:
            ann = instance_annotation(len(annotations) + 1, k, category_ids[pred.category_id],
                                      pred.rle)
            ann['segmentation']['counts'] = compressed_counts(pred.rle['counts'])
            annotations.append(dict(ann, iscrowd=1, score=pred.score,
                                    attributes={'occluded': False}))
    categories = [{'id': category_ids[cid], 'name': name, 'supercategory': ''}
                  for name, cid in expected.category_ids.items()]
    return {'licenses': [dict(lic) for lic in DATUMARO_LICENSES], 'info': dict(DATUMARO_INFO),
            'categories': categories, 'images': images, 'annotations': annotations}


def _export_images(expected: ExpectedLabels, export: Mapping) -> Dict[Any, Mapping]:
    """Our image for each image id of the export (matched by file name, sizes checked), every
    one claimed: an image that appears twice is an error."""
    ours = {}
    for image_id, entry in entries_by_id(export['images'], 'images', expected.source,
                                         ('id', 'file_name', 'width', 'height')).items():
        where = f'CVAT image {image_id!r} ({entry["file_name"]!r})'
        image = expected.image_by_file_name(entry['file_name'], where)
        if (entry['width'], entry['height']) != (image['width'], image['height']):
            raise expected.error(where, f'size {entry["width"]!r} x {entry["height"]!r} is not '
                                 f'the size {image["width"]} x {image["height"]} of '
                                 f'{describe_image(image)}')
        expected.claim(image, where)
        ours[image_id] = image
    return ours


def from_cvat_coco(export: dict, coco: dict, source: str) -> dict:
    """``coco`` (the images to label) with the masks of CVAT's COCO 1.0 export ``export``
    (read from ``source``): every image once, every annotation a mask of a known class."""
    expected = ExpectedLabels(coco, source)
    check_coco_lists(export, source)
    images = _export_images(expected, export)
    categories = entries_by_id(export['categories'], 'categories', source, ('id', 'name'))
    for k, ann in enumerate(export['annotations']):
        where = entry_name('annotation', ann, k)
        if not isinstance(ann, Mapping):
            raise expected.error(where, f'expected an object, got {type(ann).__name__}')
        if not is_known(ann.get('image_id'), images):
            raise expected.error(where, f'image_id {ann.get("image_id")!r} is not an image of '
                                 'the export')
        image = images[ann['image_id']]
        where = f'{where} of {describe_image(image)}'
        if not is_known(ann.get('category_id'), categories):
            raise expected.error(where, f'unknown category_id {ann.get("category_id")!r}')
        category_id = expected.category_id(categories[ann['category_id']]['name'], where)
        if not ann.get('segmentation'):
            raise expected.error(where, 'no mask (a box or points only? draw a mask or a '
                                 'polygon)')
        try:
            rle = segmentation_rle(ann['segmentation'], image['height'], image['width'])
        except ValueError as err:
            raise expected.error(where, str(err)) from None
        expected.add(image, category_id, rle, where)
    return expected.finish()
