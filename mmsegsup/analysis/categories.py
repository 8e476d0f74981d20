"""Referring-expression (RE) categories of the thesis, section 6.4: their titles and
questions, difficulty (trivial referents) and the shares of each label.

Per expression an annotator gives (table 6.2 and section 6.4.1):

* the seven semantic categories, "does the RE tell you about referent r ...":
  ``appearance`` how r looks like ("in a yellow dress"); ``class_category`` r's name or
  category, a noun ("seagull"); ``location`` where r is located, relative to the image or to
  another object ("near tractor"); ``motion`` if r moves or changes its location ("walking");
  ``obj_motion`` if r moves or changes another object's location ("riding a bike");
  ``static`` what r is doing, if not moving ("eating"); ``obj_static`` if r acts on another
  object, without motion ("holding a bike");
* difficulty: ``trivial`` when r is the only object of its class in the video (or image), so
  the class name alone picks it out; computed by :func:`trivial_objects`;
* correctness: ``ok``, ``no_re`` (another object of the video also fits the phrase) or
  ``wrong_object`` (the phrase does not fit r);
* redundancy: ``redundant`` (more than needed for unique reference) or ``minimal``.

The labels (:class:`~mmsegsup.formats.re_categories.REAnnotation`) and their CSV / JSON files
are in :mod:`mmsegsup.formats.re_categories`.
"""
from collections import Counter, defaultdict
from typing import Dict, Hashable, Iterable, Mapping, Optional, Sequence, Tuple

from ..formats.re_categories import CATEGORIES, REAnnotation, normalize_category

CATEGORY_TITLES = {'appearance': 'appearance', 'class_category': 'class category',
                   'location': 'location', 'motion': 'motion', 'obj_motion': 'obj-motion',
                   'static': 'static', 'obj_static': 'obj-static'}
CATEGORY_QUESTIONS = {  # thesis table 6.2: "Q: Does RE tell you about referent r ..." / example
    'appearance': ('how r looks like?', 'in a yellow dress'),
    'class_category': ("r's name or category (noun)", 'seagull'),
    'location': ('where r is located? (rel. to image/other object)', 'near tractor'),
    'motion': ('if r moves or changes its location?', 'walking'),
    'obj_motion': ("if r moves or changes another object's location?", 'riding a bike'),
    'static': ('what r is doing (if not moving)?', 'eating'),
    'obj_static': ('if r acts on another object (no motion)?', 'holding a bike')}


def referring_expression(info: Mapping, index: int) -> Tuple[str, str]:
    """``(expr_id, expression)`` of data info #``index`` of a referring dataset."""
    if 'expr_id' not in info or 'expression' not in info:
        raise ValueError(f'data info #{index} lacks expr_id or expression (the referring data '
                         f'contract)')
    return str(info['expr_id']), info['expression']


# ---- difficulty ------------------------------------------------------------------------------

def trivial_objects(records: Iterable[Tuple[Hashable, Hashable, Hashable]]
                    ) -> Dict[Tuple[Hashable, Hashable], bool]:
    """``(video, object_id) -> trivial`` from ``(video, object_id, class)`` records.

    Trivial (section 6.4.1): no other object of the video has the referent's class, so the
    class name alone identifies it. Records must cover every object of a video (also those
    without an expression); repeats of one object (one per frame or expression) are fine, but
    one object with two classes raises ``ValueError``.
    """
    class_of: Dict[Tuple[Hashable, Hashable], Hashable] = {}
    for i, record in enumerate(records):
        try:
            video, obj, cls = record
        except (TypeError, ValueError) as e:
            raise ValueError(f'record #{i} must be (video, object_id, class), got '
                             f'{record!r}') from e
        seen = class_of.setdefault((video, obj), cls)
        if seen != cls:
            raise ValueError(f'object {obj!r} of video {video!r} has class {seen!r} in one '
                             f'record and {cls!r} in record #{i}; a class must be fixed per '
                             f'object (A2D: use the actor, not the per-frame actor-action id)')
    per_class = Counter((video, cls) for (video, _), cls in class_of.items())
    return {key: per_class[(key[0], cls)] == 1 for key, cls in class_of.items()}


_CLASS_KEYS = ('actor', 'category_id', 'class')


def _scene_of(info: Mapping) -> Hashable:
    for key in ('video', 'image_id', 'img_path'):
        if info.get(key) is not None:
            return info[key]
    raise ValueError('has none of the fields video, image_id, img_path to group objects by')


def trivial_expressions(data_infos: Iterable[Mapping], class_key: Optional[str] = None
                        ) -> Dict[str, bool]:
    """``expr_id -> trivial`` from a referring dataset's data infos (``dataset.data_list``).

    Objects are grouped by ``video`` (RefCOCO: ``image_id``, else ``img_path``) and told apart
    by ``object_id``; the class is ``class_key``, by default the first present of ``actor``
    (A2D-Sentences), ``category_id`` (RefCOCO) and ``class``. DAVIS has no classes (its
    ``trivial`` is ``None``): pass records with your own classes to :func:`trivial_objects`.
    """
    records, expr_of = [], {}
    for i, info in enumerate(data_infos):
        expr_id = info.get('expr_id')
        key = class_key or next((k for k in _CLASS_KEYS if info.get(k) is not None), None)
        if key is None or info.get(key) is None:
            wanted = class_key or ' / '.join(_CLASS_KEYS)
            raise ValueError(f'data info #{i} (expr_id {expr_id!r}) has no class field '
                             f'{wanted}; pass class_key= naming the field that holds the class')
        if 'object_id' not in info:
            raise ValueError(f'data info #{i} (expr_id {expr_id!r}) has no field object_id')
        try:
            scene = _scene_of(info)
        except ValueError as e:
            raise ValueError(f'data info #{i} (expr_id {expr_id!r}) {e}') from None
        records.append((scene, info['object_id'], info[key]))
        if expr_id is not None:
            expr_of[str(expr_id)] = (scene, info['object_id'])
    trivial = trivial_objects(records)
    return {e: trivial[obj] for e, obj in expr_of.items()}


# ---- summaries -------------------------------------------------------------------------------

def category_proportions(annotations: Mapping[str, REAnnotation],
                         categories: Sequence[str] = CATEGORIES) -> Dict[str, float]:
    """Share of expressions labeled with each category (thesis fig. 6.4)."""
    if not annotations:
        raise ValueError('no annotations given')
    cats = [normalize_category(c) for c in categories]
    counts = defaultdict(int)
    for a in annotations.values():
        for c in a.categories:
            counts[c] += 1
    return {c: counts[c] / len(annotations) for c in cats}


def label_proportions(annotations: Mapping[str, REAnnotation], field_name: str
                      ) -> Dict[str, float]:
    """Share of each value of ``trivial`` / ``correctness`` / ``redundancy`` among the
    expressions where it is labeled (thesis fig. 6.3 and the redundancy ratios of 6.4.2)."""
    if field_name not in ('trivial', 'correctness', 'redundancy'):
        raise ValueError(f"field_name must be 'trivial', 'correctness' or 'redundancy', got "
                         f'{field_name!r}')
    values = [getattr(a, field_name) for a in annotations.values()]
    values = [('trivial' if v else 'non_trivial') if isinstance(v, bool) else v
              for v in values if v is not None]
    if not values:
        return {}
    counts = Counter(values)
    return {k: counts[k] / len(values) for k in sorted(counts)}
