"""Referring-expression (RE) category annotation files (thesis section 6.4): the vocabulary
of the labels, one annotator's labels of an expression (:class:`REAnnotation`), and the CSV /
JSON files that hold them; the analysis of these labels is :mod:`mmsegsup.analysis`.

Per expression an annotator gives (table 6.2 and section 6.4.1): the seven semantic categories
(:data:`CATEGORIES`), difficulty (``trivial``: the referent is the only object of its class in
the video), correctness (``ok``, ``no_re``: another object also fits the phrase,
``wrong_object``: the phrase does not fit the referent) and redundancy (``redundant``: more
than needed for unique reference, ``minimal``).

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

Every fault of a file raises :class:`~mmsegsup.formats.errors.FormatError` naming the file
(and line or entry).
"""
import csv
import io
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence

from ..utils.io import dump_json_atomic, write_text_atomic
from .errors import FormatError, MissingFileError
from .json_files import check_header, json_objects, load_json, some_ids

CATEGORIES = ('appearance', 'class_category', 'location', 'motion', 'obj_motion', 'static',
              'obj_static')
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


def category_set(value: object, where: str) -> FrozenSet[str]:
    """The categories of labels: an object with a ``categories`` frozenset (an
    :class:`REAnnotation`, the tagger's ``TagResult``) or a collection of category names;
    ``where`` names the labels in the message."""
    categories = getattr(value, 'categories', None)
    if isinstance(categories, frozenset):
        return categories
    if isinstance(value, str):
        raise ValueError(f'{where}: categories must be a collection of names, got the '
                         f'string {value!r}')
    return frozenset(normalize_category(c) for c in value)


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
    raise FormatError(f'{where}: column {column!r} must be {allowed}, got {text!r}')


def _csv_header(header: List[str], path: str) -> List[str]:
    columns = []
    for name in header:
        try:
            columns.append(_column(name))
        except ValueError:
            raise FormatError(
                f'{path}: unknown column {name!r} in the header; expected the columns '
                f'{", ".join(CSV_REQUIRED)} and optionally {", ".join(CSV_OPTIONAL)}') from None
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise FormatError(f'{path}: column(s) {", ".join(repeated)} appear more than '
                          f'once in the header')
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if missing:
        raise FormatError(f'{path}: the header lacks the column(s) {", ".join(missing)} '
                          f'(required: {", ".join(CSV_REQUIRED)})')
    return columns


def _check_new(expr_id: str, where: str, first_seen: Dict[str, str], path: str) -> None:
    if expr_id in first_seen:
        raise FormatError(f'{where}: duplicate expr_id {expr_id!r} (first at '
                          f'{first_seen[expr_id]}); {path} must hold one row per '
                          f'expression')


def read_annotations_csv(path: str) -> Dict[str, REAnnotation]:
    """One annotator's CSV (module docstring) as ``expr_id -> REAnnotation``, in file order."""
    if not osp.isfile(path):
        raise MissingFileError(f'annotation file {path} not found', path)
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise FormatError(f'{path}: empty file; expected a header row with '
                              f'{", ".join(CSV_REQUIRED)}')
        columns = _csv_header(header, path)
        out: Dict[str, REAnnotation] = {}
        first_seen: Dict[str, str] = {}
        for row in reader:
            where = f'{path}:{reader.line_num}'
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise FormatError(f'{where}: {len(row)} cells, expected {len(columns)} '
                                  f'(one per header column)')
            cells = dict(zip(columns, row))
            expr_id = cells['expr_id'].strip()
            if not expr_id:
                raise FormatError(f'{where}: empty expr_id')
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
                raise FormatError(f'{where}: {e}') from None
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
    data = load_json(path, 'annotation')
    check_header(data, path, JSON_FORMAT, 'expressions')
    out: Dict[str, REAnnotation] = {}
    first_seen: Dict[str, str] = {}
    for where, item in json_objects(data['expressions'], path, 'expressions', JSON_KEYS):
        if not isinstance(item.get('categories'), list):
            raise FormatError(f'{where}: "categories" must be a list of category names')
        try:
            ann = REAnnotation(item.get('expr_id'), frozenset(item['categories']),
                               item.get('trivial'), item.get('correctness'),
                               item.get('redundancy'), item.get('note', ''))
        except (TypeError, ValueError) as e:
            raise FormatError(f'{where}: {e}') from None
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
    """The common expression ids (sorted); ``FormatError`` naming the annotator (file)
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
            raise FormatError(f'{name}: ' + ' and '.join(parts) +
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

