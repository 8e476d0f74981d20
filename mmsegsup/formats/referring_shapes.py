"""The synthetic referring-shapes annotation file, ``expressions_<split>.json``: ``info`` (the
generator's settings), ``images`` or ``videos`` (their objects' properties) and
``expressions`` (one per object). Written by :mod:`mmsegsup.datasets.synthetic`."""
import json
from typing import Dict

from .errors import FormatError, MissingFileError


def read_referring_shapes(path: str) -> dict:
    """The parsed file, checked to hold an ``expressions`` list; FormatError naming it."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise MissingFileError(f'referring-shapes annotation {path} not found', path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FormatError(f'{path}: not valid JSON ({e})', path) from e
    if not isinstance(data, dict) or not isinstance(data.get('expressions'), list):
        raise FormatError(f'{path}: expected a dict with an "expressions" list', path)
    return data


def shapes_class_labels(ann_file: str) -> Dict[str, Dict[str, str]]:
    """``expr_id -> {"actor": class}`` of a synthetic referring-shapes split
    (``expressions_<split>.json``): the class of each expression's object, the "actor" of
    :func:`make_variants` (the shapes have no action)."""
    data = read_referring_shapes(ann_file)
    scenes = list(data.get('images') or []) + list(data.get('videos') or [])
    class_of = {}
    for scene in scenes:
        name = scene.get('image', scene.get('video')) if isinstance(scene, dict) else None
        for obj in (scene.get('objects') or []) if isinstance(scene, dict) else []:
            class_of[(name, obj.get('obj_id'))] = obj.get('class')
    out = {}
    for i, expr in enumerate(data['expressions']):
        key = (expr.get('image', expr.get('video')), expr.get('obj_id'))
        if class_of.get(key) is None:
            raise FormatError(f'{ann_file}: expressions[{i}] ({expr.get("expr_id")!r}) '
                              f'refers to object {key[1]!r} of {key[0]!r}, which no '
                              f'image / video lists with a class', ann_file)
        out[str(expr['expr_id'])] = {'actor': class_of[key]}
    return out
