"""Referring-expression (RE) categories of the thesis, section 6.4: data model, difficulty, I/O.

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

On-disk format of one annotator's labels, CSV (UTF-8, header row, one row per expression)::

    expr_id,appearance,class_category,location,motion,obj_motion,static,obj_static,<optional>
    v1/1,1,1,0,1,0,0,0,0,ok,redundant,
    v1/2,0,1,1,0,0,1,1,,no_re,,two girls in the video stand near the woman

where ``<optional>`` is ``trivial,correctness,redundancy,note`` (one header line).
``expr_id`` and the seven category columns (``0`` / ``1``) are required; ``trivial`` (``0`` /
``1`` / empty), ``correctness`` and ``redundancy`` (a value above or empty) and ``note`` (free
text) are optional. Column order is free. The thesis's spellings are read too ("class
category", "obj-motion", "no RE", "wrong object"); the writer always uses the names above.
The JSON form holds the same fields, categories as a list::

    {"format": "mmsegsup-re-categories", "version": 1,
     "expressions": [{"expr_id": "v1/1", "categories": ["appearance", "class_category"],
                      "trivial": false, "correctness": "ok", "redundancy": null, "note": ""}]}
"""
import csv
import io
import json
import os.path as osp
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import (Dict, FrozenSet, Hashable, Iterable, List, Mapping, Optional,
                    Sequence, Tuple)

from ..formats.errors import DatasetFormatError
from ..formats.json_files import json_objects, some_ids
from ..utils.io import dump_json_atomic, write_text_atomic

CATEGORIES = ('appearance', 'class_category', 'location', 'motion', 'obj_motion', 'static',
              'obj_static')
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
MAJOR_CATEGORIES = ('appearance', 'location', 'motion', 'static')  # A2Dre+ (section 6.4.3)
CORRECTNESS = ('ok', 'no_re', 'wrong_object')
REDUNDANCY = ('redundant', 'minimal')
CSV_REQUIRED = ('expr_id', ) + CATEGORIES
CSV_OPTIONAL = ('trivial', 'correctness', 'redundancy', 'note')
CSV_COLUMNS = CSV_REQUIRED + CSV_OPTIONAL
JSON_FORMAT = 'mmsegsup-re-categories'
JSON_KEYS = ('expr_id', 'categories') + CSV_OPTIONAL

_ALIASES = {'category': 'class_category', 'class': 'class_category'}  # fig. 6.4 says "category"


def _key(text: str) -> str:
    return re.sub(r'[\s\-]+', '_', str(text).strip().lower())


def normalize_category(name: str) -> str:
    """The canonical name of a category, accepting the thesis's spellings ("class category",
    "obj-motion"); raises ``ValueError`` naming the known ones otherwise."""
    key = _key(name)
    key = _ALIASES.get(key, key)
    if key not in CATEGORIES:
        raise ValueError(f'unknown RE category {name!r}; expected one of {", ".join(CATEGORIES)}')
    return key


def _choice(value: Optional[str], allowed: Sequence[str], what: str) -> Optional[str]:
    if value is None or str(value).strip() == '':
        return None
    key = _key(value)
    if key not in allowed:
        raise ValueError(f'{what} must be one of {", ".join(allowed)} or empty, got {value!r}')
    return key


@dataclass(frozen=True)
class REAnnotation:
    """One annotator's labels of one expression (``None``: not labeled)."""
    expr_id: str
    categories: FrozenSet[str] = field(default_factory=frozenset)
    trivial: Optional[bool] = None
    correctness: Optional[str] = None
    redundancy: Optional[str] = None
    note: str = ''

    def __post_init__(self) -> None:
        if not isinstance(self.expr_id, str) or not self.expr_id:
            raise ValueError(f'expr_id must be a non-empty string, got {self.expr_id!r}')
        if isinstance(self.categories, str):
            raise ValueError(f'{self.expr_id}: categories must be a collection of names, got '
                             f'the string {self.categories!r}')
        object.__setattr__(self, 'categories',
                           frozenset(normalize_category(c) for c in self.categories))
        if self.trivial is not None and not isinstance(self.trivial, bool):
            raise ValueError(f'{self.expr_id}: trivial must be True, False or None, got '
                             f'{self.trivial!r}')
        object.__setattr__(self, 'correctness',
                           _choice(self.correctness, CORRECTNESS, f'{self.expr_id}: correctness'))
        object.__setattr__(self, 'redundancy',
                           _choice(self.redundancy, REDUNDANCY, f'{self.expr_id}: redundancy'))
        object.__setattr__(self, 'note', '' if self.note is None else str(self.note))

    def has(self, category: str) -> bool:
        return normalize_category(category) in self.categories

    def to_json(self) -> dict:
        return {'expr_id': self.expr_id,
                'categories': [c for c in CATEGORIES if c in self.categories],
                'trivial': self.trivial, 'correctness': self.correctness,
                'redundancy': self.redundancy, 'note': self.note}


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


# ---- CSV -------------------------------------------------------------------------------------

def _column(name: str) -> str:
    key = _key(name)
    if key in CSV_COLUMNS:
        return key
    return normalize_category(name)


def _binary(text: str, where: str, column: str, optional: bool) -> Optional[bool]:
    value = text.strip()
    if value in ('0', '1'):
        return value == '1'
    if optional and value == '':
        return None
    allowed = '0, 1 or empty' if optional else '0 or 1'
    raise DatasetFormatError(f'{where}: column {column!r} must be {allowed}, got {text!r}')


def _csv_header(header: List[str], path: str) -> List[str]:
    columns = []
    for name in header:
        try:
            columns.append(_column(name))
        except ValueError:
            raise DatasetFormatError(
                f'{path}: unknown column {name!r} in the header; expected the columns '
                f'{", ".join(CSV_REQUIRED)} and optionally {", ".join(CSV_OPTIONAL)}') from None
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DatasetFormatError(f'{path}: column(s) {", ".join(repeated)} appear more than '
                                 f'once in the header')
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if missing:
        raise DatasetFormatError(f'{path}: the header lacks the column(s) {", ".join(missing)} '
                                 f'(required: {", ".join(CSV_REQUIRED)})')
    return columns


def _check_new(expr_id: str, where: str, first_seen: Dict[str, str], path: str) -> None:
    if expr_id in first_seen:
        raise DatasetFormatError(f'{where}: duplicate expr_id {expr_id!r} (first at '
                                 f'{first_seen[expr_id]}); {path} must hold one row per '
                                 f'expression')


def read_annotations_csv(path: str) -> Dict[str, REAnnotation]:
    """One annotator's CSV (module docstring) as ``expr_id -> REAnnotation``, in file order."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file {path} not found')
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise DatasetFormatError(f'{path}: empty file; expected a header row with '
                                     f'{", ".join(CSV_REQUIRED)}')
        columns = _csv_header(header, path)
        out: Dict[str, REAnnotation] = {}
        first_seen: Dict[str, str] = {}
        for row in reader:
            where = f'{path}:{reader.line_num}'
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise DatasetFormatError(f'{where}: {len(row)} cells, expected {len(columns)} '
                                         f'(one per header column)')
            cells = dict(zip(columns, row))
            expr_id = cells['expr_id'].strip()
            if not expr_id:
                raise DatasetFormatError(f'{where}: empty expr_id')
            _check_new(expr_id, where, first_seen, path)
            first_seen[expr_id] = where
            cats = [c for c in CATEGORIES if _binary(cells[c], where, c, optional=False)]
            trivial = (_binary(cells['trivial'], where, 'trivial', optional=True)
                       if 'trivial' in cells else None)
            try:
                out[expr_id] = REAnnotation(expr_id, frozenset(cats), trivial,
                                            cells.get('correctness'), cells.get('redundancy'),
                                            cells.get('note', ''))
            except ValueError as e:
                raise DatasetFormatError(f'{where}: {e}') from None
    return out


def _rows_checked(annotations: Iterable[REAnnotation], path: str) -> List[REAnnotation]:
    rows, seen = [], set()
    for a in annotations:
        if not isinstance(a, REAnnotation):
            raise TypeError(f'{path}: expected REAnnotation items, got {type(a).__name__}')
        if a.expr_id in seen:
            raise ValueError(f'{path}: duplicate expr_id {a.expr_id!r} among the annotations '
                             f'to write')
        seen.add(a.expr_id)
        rows.append(a)
    return rows


def _flag(value: Optional[bool]) -> str:
    return '' if value is None else str(int(value))


def write_annotations_csv(annotations: Iterable[REAnnotation], path: str) -> str:
    """Write annotations as the CSV of the module docstring (atomically); returns ``path``.

    Accepts an iterable of :class:`REAnnotation` or a mapping ``expr_id -> REAnnotation``.
    """
    items = annotations.values() if isinstance(annotations, Mapping) else annotations
    rows = _rows_checked(items, path)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(CSV_COLUMNS)
    for a in rows:
        writer.writerow([a.expr_id] + [int(c in a.categories) for c in CATEGORIES] +
                        [_flag(a.trivial), a.correctness or '', a.redundancy or '', a.note])
    write_text_atomic(buf.getvalue(), path)
    return path


# ---- JSON ------------------------------------------------------------------------------------


def read_annotations_json(path: str) -> Dict[str, REAnnotation]:
    """One annotator's JSON (module docstring) as ``expr_id -> REAnnotation``, in file order."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'annotation file {path} not found')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetFormatError(f'{path}: not valid JSON ({e})') from None
    if not isinstance(data, dict) or data.get('format') != JSON_FORMAT:
        raise DatasetFormatError(f'{path}: expected an object with "format": "{JSON_FORMAT}"')
    if not isinstance(data.get('expressions'), list):
        raise DatasetFormatError(f'{path}: "expressions" must be a list')
    out: Dict[str, REAnnotation] = {}
    first_seen: Dict[str, str] = {}
    for where, item in json_objects(data['expressions'], path, 'expressions', JSON_KEYS):
        if not isinstance(item.get('categories'), list):
            raise DatasetFormatError(f'{where}: "categories" must be a list of category names')
        try:
            ann = REAnnotation(item.get('expr_id'), frozenset(item['categories']),
                               item.get('trivial'), item.get('correctness'),
                               item.get('redundancy'), item.get('note', ''))
        except (TypeError, ValueError) as e:
            raise DatasetFormatError(f'{where}: {e}') from None
        _check_new(ann.expr_id, where, first_seen, path)
        first_seen[ann.expr_id] = where
        out[ann.expr_id] = ann
    return out


def write_annotations_json(annotations: Iterable[REAnnotation], path: str) -> str:
    """Write annotations as the JSON of the module docstring (atomically); returns ``path``."""
    items = annotations.values() if isinstance(annotations, Mapping) else annotations
    rows = _rows_checked(items, path)
    dump_json_atomic({'format': JSON_FORMAT, 'version': 1,
                      'expressions': [a.to_json() for a in rows]}, path)
    return path


def read_annotations(path: str) -> Dict[str, REAnnotation]:
    """Read a ``.csv`` or ``.json`` annotation file (chosen by the extension)."""
    ext = osp.splitext(path)[1].lower()
    if ext == '.csv':
        return read_annotations_csv(path)
    if ext == '.json':
        return read_annotations_json(path)
    raise ValueError(f'{path}: annotation files end in .csv or .json, got {ext or "no suffix"!r}')


def write_annotations(annotations: Iterable[REAnnotation], path: str) -> str:
    """Write a ``.csv`` or ``.json`` annotation file (chosen by the extension)."""
    ext = osp.splitext(path)[1].lower()
    if ext == '.csv':
        return write_annotations_csv(annotations, path)
    if ext == '.json':
        return write_annotations_json(annotations, path)
    raise ValueError(f'{path}: annotation files end in .csv or .json, got {ext or "no suffix"!r}')


# ---- several annotators ----------------------------------------------------------------------

def check_same_expressions(annotators: Sequence[Mapping[str, REAnnotation]],
                           names: Optional[Sequence[str]] = None) -> List[str]:
    """The common expression ids (sorted); ``DatasetFormatError`` naming the annotator (file)
    and some missing / extra ids when an annotator's set differs from the first one's."""
    if not annotators:
        raise ValueError('no annotators given')
    names = list(names) if names is not None else [f'annotator {i}' for i in
                                                   range(len(annotators))]
    if len(names) != len(annotators):
        raise ValueError(f'{len(names)} names for {len(annotators)} annotators')
    reference = set(annotators[0])
    for name, labels in zip(names[1:], annotators[1:]):
        ids = set(labels)
        if ids != reference:
            parts = []
            if reference - ids:
                parts.append(f'lacks {len(reference - ids)} expression(s) of {names[0]} '
                             f'({some_ids(reference - ids)})')
            if ids - reference:
                parts.append(f'has {len(ids - reference)} expression(s) that {names[0]} '
                             f'lacks ({some_ids(ids - reference)})')
            raise DatasetFormatError(f'{name}: ' + ' and '.join(parts) +
                                     '; all annotators must label the same expressions')
    return sorted(reference)


def load_annotators(paths: Sequence[str]) -> List[Dict[str, REAnnotation]]:
    """Several annotators' files (``.csv`` / ``.json``), checked to label the same
    expressions; one ``expr_id -> REAnnotation`` dict per file, in the order given."""
    if len(paths) < 1:
        raise ValueError('no annotation files given')
    annotators = [read_annotations(p) for p in paths]
    check_same_expressions(annotators, [str(p) for p in paths])
    return annotators


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
