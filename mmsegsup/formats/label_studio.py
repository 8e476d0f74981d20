"""Label Studio: a labeling config for instance masks, tasks pre-filled with our predicted
masks, and the import of Label Studio's JSON export back into COCO.

A task's ``data`` carries the image URL and our ``coco_image_id`` / ``file_name``, so the
export says which image each annotation labels. Predicted masks travel as brush regions in
Label Studio's brush RLE: the RGBA canvas of the image (every channel 255 on the mask)
run-length packed by thi-ng's ``rle-pack``, which Label Studio's editor decodes. The codec is
written here rather than imported from ``label-studio-sdk`` because the SDK pins
``opencv-python-headless<4.13`` against our 5.0 pin; it equals the SDK's ``brush.mask2rle`` /
``decode_rle`` (checked on many masks against label-studio-sdk 2.1.2). Annotators may keep
brush regions or draw polygons (vertices in percent of the image size, rasterised the way
COCO tools do).
"""
import functools
from numbers import Real
from typing import Any, Callable, List, Mapping, Optional, Sequence
from xml.sax.saxutils import quoteattr

import numpy as np

from .errors import FormatError
from .tool_labels import (ExpectedLabels, Prediction, describe_image, entry_name, mask_rle,
                          predictions_by_image, rle_mask, segmentation_rle)

#: Names of the labeling config's tags: the task's image field and the two region tools.
IMAGE_FIELD = 'image'
BRUSH_TOOL = 'brush'
POLYGON_TOOL = 'polygon'
#: rle-pack's parameters as Label Studio uses them: 8-bit words, run-length fields of
#: 3, 4, 8 and 16 bits.
BRUSH_WORD_BITS = 8
BRUSH_RUN_BITS = (3, 4, 8, 16)
#: Region types the import reads, and the label list each keeps in ``value``.
REGION_TYPES = ('brushlabels', 'polygonlabels')


def labeling_config(class_names: Sequence[str]) -> str:
    """The labeling config of a project: the task's image, a brush and a polygon tool, each
    with one label per class (the dataset's class names, in order)."""
    if not class_names or len(set(class_names)) != len(class_names) \
            or not all(isinstance(n, str) and n for n in class_names):
        raise ValueError(f'class names must be distinct non-empty strings, got {class_names!r}')
    labels = ''.join(f'\n    <Label value={quoteattr(name)}/>' for name in class_names)
    return (f'<View>\n  <Image name="{IMAGE_FIELD}" value="${IMAGE_FIELD}" zoom="true"/>\n'
            f'  <BrushLabels name="{BRUSH_TOOL}" toName="{IMAGE_FIELD}">{labels}\n'
            f'  </BrushLabels>\n'
            f'  <PolygonLabels name="{POLYGON_TOOL}" toName="{IMAGE_FIELD}">{labels}\n'
            f'  </PolygonLabels>\n</View>\n')


@functools.lru_cache(maxsize=4096)
def _run_bits(length: int, value: int) -> str:
    """rle-pack's bits of a run of ``length`` copies of ``value``, as the SDK encodes them:
    a single value as a literal block, runs up to 256 in the narrowest run-length field,
    longer ones in the widest, split every 2**16."""
    word = f'{value:0{BRUSH_WORD_BITS}b}'
    if length == 1:
        return f'000{0:0{BRUSH_RUN_BITS[0]}b}{word}'
    index = next((i for i, width in enumerate(BRUSH_RUN_BITS[:-1]) if length <= 2**width),
                 len(BRUSH_RUN_BITS) - 1)
    width = BRUSH_RUN_BITS[index]
    full, rest = divmod(length - 1, 2**width)
    return (f'1{index:02b}{2**width - 1:0{width}b}{word}' * full
            + f'1{index:02b}{rest:0{width}b}{word}')


def encode_brush_rle(mask: np.ndarray) -> List[int]:
    """Label Studio's brush RLE (``value.rle``) of an ``(H, W)`` binary mask."""
    pixels = np.asarray(mask, dtype=bool).ravel()
    starts = np.concatenate([[0], np.flatnonzero(pixels[1:] != pixels[:-1]) + 1])
    lengths = 4 * np.diff(np.append(starts, len(pixels)))  # RGBA: 4 equal values a pixel
    header = (f'{4 * len(pixels):032b}{BRUSH_WORD_BITS - 1:05b}'
              + ''.join(f'{width - 1:04b}' for width in BRUSH_RUN_BITS))
    bits = header + ''.join(_run_bits(int(n), 255 if pixels[s] else 0)
                            for s, n in zip(starts, lengths))
    bits += '0' * (8 - len(bits) % 8)  # the SDK pads a whole byte when already aligned
    return np.packbits(np.frombuffer(bits.encode('ascii'), np.uint8) - 48).tolist()


class _BitReader:
    """Reads unsigned big-endian fields of a bit string; reading past the end is a
    ValueError (a truncated RLE)."""

    def __init__(self, data: np.ndarray) -> None:
        self.bits = (np.unpackbits(data) + 48).tobytes().decode('ascii')
        self.pos = 0

    def read(self, width: int) -> int:
        end = self.pos + width
        if end > len(self.bits):
            raise ValueError('brush RLE ends too early')
        field, self.pos = self.bits[self.pos:end], end
        return int(field, 2)

    def words(self, count: int, width: int) -> np.ndarray:
        """``count`` fields of ``width`` bits at once (a literal block)."""
        end = self.pos + count * width
        if end > len(self.bits):
            raise ValueError('brush RLE ends too early')
        bits = np.frombuffer(self.bits[self.pos:end].encode('ascii'), np.uint8) - 48
        self.pos = end
        return bits.reshape(count, width) @ (1 << np.arange(width - 1, -1, -1))


def decode_brush_rle(rle: Any, height: int, width: int) -> np.ndarray:
    """The ``(H, W)`` bool mask of a brush RLE: pixels whose alpha is not 0, as Label
    Studio's editor shows them (antialiased strokes have partial alpha); ValueError if
    ``rle`` is not a well-formed brush RLE of an image of that size."""
    if not isinstance(rle, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 256 for v in rle):
        raise ValueError('brush "rle" must be a list of ints 0..255')
    reader = _BitReader(np.asarray(rle, dtype=np.uint8))
    count = reader.read(32)
    if count != height * width * 4:
        raise ValueError(f'brush RLE holds {count} values, expected {height * width * 4} '
                         f'(RGBA of {width}x{height})')
    word = reader.read(5) + 1
    run_bits = [reader.read(4) + 1 for _ in range(4)]
    nonzero = np.zeros(count, dtype=bool)
    start = 0
    while start < count:
        is_run = reader.read(1)
        end = start + 1 + reader.read(run_bits[reader.read(2)])
        if end > count:
            raise ValueError(f'brush RLE runs past its {count} values')
        nonzero[start:end] = (reader.read(word) if is_run
                              else reader.words(end - start, word)) != 0
        start = end
    return nonzero.reshape(height, width, 4)[..., 3]


def _brush_region(pred: Prediction, image: Mapping, name: str, k: int) -> dict:
    """The brush region of a predicted mask, with its score."""
    return {'id': f'pred{k}', 'type': 'brushlabels', 'from_name': BRUSH_TOOL,
            'to_name': IMAGE_FIELD, 'original_width': image['width'],
            'original_height': image['height'], 'image_rotation': 0,
            'value': {'format': 'rle', 'rle': encode_brush_rle(rle_mask(pred.rle)),
                      'brushlabels': [name]},
            'score': pred.score}


def coco_to_tasks(coco: dict, image_url: Callable[[dict], str],
                  predictions: Optional[Sequence[dict]] = None,
                  model_version: str = 'mmsegsup') -> List[dict]:
    """One Label Studio task per image of ``coco`` (its URL from ``image_url``); with
    ``predictions`` (COCO results), each task holds them as one prediction of
    ``model_version`` whose score is the mean of its masks' (annotators sort tasks by it)."""
    expected = ExpectedLabels(coco, 'predictions')
    names = {cid: name for name, cid in expected.category_ids.items()}
    preds = None if predictions is None else predictions_by_image(expected, predictions)
    tasks = []
    for image in expected.images.values():
        task: dict = {'data': {IMAGE_FIELD: image_url(image), 'coco_image_id': image['id'],
                               'file_name': image['file_name']}}
        if preds is not None:
            masks = preds[image['id']]
            prediction: dict = {'model_version': model_version, 'result': [
                _brush_region(p, image, names[p.category_id], k) for k, p in enumerate(masks)]}
            if masks:
                prediction['score'] = float(np.mean([p.score for p in masks]))
            task['predictions'] = [prediction]
        tasks.append(task)
    return tasks


def _task_image(expected: ExpectedLabels, data: Mapping, where: str) -> Mapping:
    """The image a task's ``data`` names: ``coco_image_id`` (our tasks), else ``file_name``."""
    if 'coco_image_id' in data:
        image = expected.image_by_id(data['coco_image_id'], where)
        if data.get('file_name', image['file_name']) != image['file_name']:
            raise expected.error(where, f'data.file_name {data["file_name"]!r} is not the '
                                 f'file of {describe_image(image)}')
        return image
    if 'file_name' in data:
        return expected.image_by_file_name(data['file_name'], where)
    raise expected.error(where, 'task data has neither "coco_image_id" nor "file_name"')


def _submitted(expected: ExpectedLabels, task: Mapping, where: str) -> Mapping:
    """The task's one submitted (not cancelled) annotation; with several, the only one
    marked ground truth."""
    annotations = task.get('annotations')
    if not isinstance(annotations, list) or not all(isinstance(a, Mapping)
                                                    for a in annotations):
        raise expected.error(where, '"annotations" must be a list of objects')
    submitted = [a for a in annotations if not a.get('was_cancelled')]
    chosen = [a for a in submitted if a.get('ground_truth')] if len(submitted) > 1 else submitted
    if not submitted:
        raise expected.error(where, f'no submitted annotation ({len(annotations)} cancelled)')
    if len(chosen) != 1:
        raise expected.error(where, f'{len(submitted)} submitted annotations (ids '
                             f'{[a.get("id") for a in submitted]}): keep one or mark one as '
                             'ground truth')
    if not isinstance(chosen[0].get('result'), list):
        raise expected.error(f'{where}, annotation {chosen[0].get("id")!r}',
                             '"result" must be a list of regions')
    return chosen[0]


def _polygon_rle(value: Mapping, image: Mapping) -> dict:
    """COCO's rasterisation of a polygon region (vertices in percent of the image)."""
    points = value.get('points')
    if not isinstance(points, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(c, Real) for c in p)
            for p in points):
        raise ValueError('polygon "points" must be a list of [x, y] pairs (percent)')
    flat = [c * size / 100 for x, y in points
            for c, size in ((x, image['width']), (y, image['height']))]
    return segmentation_rle([flat], image['height'], image['width'])


def _region_rle(region: Mapping, kind: str, image: Mapping) -> dict:
    """The mask of a brush or polygon region as a pycocotools RLE; ValueError if malformed
    or not drawn on ``image``'s size."""
    size = (region.get('original_width'), region.get('original_height'))
    if size != (image['width'], image['height']):
        raise ValueError(f'original_width x original_height {size[0]!r} x {size[1]!r} is '
                         f'not the image size {image["width"]} x {image["height"]}')
    value = region['value']
    if kind == 'polygonlabels':
        return _polygon_rle(value, image)
    if value.get('format') != 'rle':
        raise ValueError(f'brush format {value.get("format")!r} is not "rle"')
    return mask_rle(decode_brush_rle(value.get('rle'), image['height'], image['width']))


def _add_region(expected: ExpectedLabels, region: Any, image: Mapping, where: str) -> None:
    """Add one region of a submitted annotation to ``expected``'s labels."""
    kind = region.get('type') if isinstance(region, Mapping) else None
    if kind not in REGION_TYPES:
        raise expected.error(where, f'region type {kind!r} is not one of {REGION_TYPES} '
                             '(a mask drawn with the brush or polygon tool)')
    labels = region['value'].get(kind) if isinstance(region.get('value'), Mapping) else None
    if not isinstance(labels, list) or len(labels) != 1:
        raise expected.error(where, f'expected one class in value.{kind}, got {labels!r}')
    category_id = expected.category_id(labels[0], where)
    try:
        rle = _region_rle(region, kind, image)
    except ValueError as err:
        raise expected.error(where, str(err)) from None
    expected.add(image, category_id, rle, where)


def tasks_to_coco(export: Sequence[dict], coco: dict, source: str) -> dict:
    """``coco`` (the images to label) with the masks Label Studio's JSON export ``export``
    (read from ``source``) submitted for them: every image labeled by exactly one task."""
    expected = ExpectedLabels(coco, source)
    if not isinstance(export, list):
        raise FormatError(f'{source}: expected a list of tasks (Label Studio JSON export), '
                          f'got {type(export).__name__}', source)
    for k, task in enumerate(export):
        where = entry_name('task', task, k)
        if not isinstance(task, Mapping) or not isinstance(task.get('data'), Mapping):
            raise expected.error(where, 'a task must be an object with a "data" object')
        image = _task_image(expected, task['data'], where)
        where = f'{where} ({describe_image(image)})'
        annotation = _submitted(expected, task, where)
        expected.claim(image, where)
        for r, region in enumerate(annotation['result']):
            _add_region(expected, region, image, f'{where}, annotation '
                        f'{annotation.get("id")!r}, {entry_name("region", region, r)}')
    return expected.finish()
