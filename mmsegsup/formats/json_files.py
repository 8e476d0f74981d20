"""JSON files of the toolkit's own formats: load one, check its header and its lists of
objects, every fault a :class:`~mmsegsup.formats.errors.FormatError` naming the file."""
import json
import os.path as osp
from typing import Callable, Dict, Iterable, Iterator, Sequence, Tuple, TypeVar

from ..utils.io import write_text_atomic
from .errors import FormatError, MissingFileError


def load_json(path: str, what: str) -> object:
    """The parsed JSON of ``path`` (UTF-8); ``what`` names the file's role in messages."""
    if not osp.isfile(path):
        raise MissingFileError(f'{what} file {path} not found', path)
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FormatError(f'{path}: not valid JSON ({e})', path) from None


def check_header(data: object, path: str, fmt: str, items: str) -> None:
    """``data`` is ``{"format": fmt, "version": 1, items: [...]}``, else FormatError."""
    if not isinstance(data, dict) or data.get('format') != fmt:
        raise FormatError(f'{path}: expected an object with "format": "{fmt}"', path)
    if data.get('version') != 1:
        raise FormatError(f'{path}: unsupported version {data.get("version")!r} '
                          f'(expected 1)', path)
    if not isinstance(data.get(items), list):
        raise FormatError(f'{path}: "{items}" must be a list', path)


def json_objects(items: list, path: str, field: str,
                 known: Sequence[str]) -> Iterator[Tuple[str, dict]]:
    """``(where, item)`` for each entry of a JSON list ``field`` of the file ``path``, checked to
    be an object with only ``known`` keys (``where`` names the entry in error messages)."""
    for i, item in enumerate(items):
        where = f'{path}: {field}[{i}]'
        if not isinstance(item, dict):
            raise FormatError(f'{where}: expected an object, got {item!r}', path)
        unknown = sorted(set(item) - set(known))
        if unknown:
            raise FormatError(f'{where}: unknown key(s) {", ".join(unknown)}; expected '
                              f'{", ".join(known)}', path)
        yield where, item


T = TypeVar('T')


def objects_by_id(entries: Iterable[Tuple[str, dict]], build: Callable[[dict], T],
                  key: str = 'expr_id') -> Dict[str, T]:
    """``{obj.<key>: obj}`` of ``build(item)`` for each ``(where, item)`` of ``entries`` (as
    :func:`json_objects` yields them); a ``ValueError`` of ``build`` or a repeated id becomes a
    :class:`FormatError` naming the entry."""
    out: Dict[str, T] = {}
    for where, item in entries:
        try:
            obj = build(item)
        except ValueError as err:
            raise FormatError(f'{where}: {err}') from None
        if getattr(obj, key) in out:
            raise FormatError(f'{where}: duplicate {key} {getattr(obj, key)!r}')
        out[getattr(obj, key)] = obj
    return out


def built_in(path: str, build: Callable[[], T]) -> T:
    """``build()``, a ``ValueError`` of it raised as a :class:`FormatError` naming ``path``
    (the whole-file checks of a reader: every entry of a set covers the same keys...)."""
    try:
        return build()
    except ValueError as err:
        raise FormatError(f'{path}: {err}', path) from None


def write_json_file(data: object, path: str) -> str:
    """Write ``data`` as indented UTF-8 JSON (to be read and edited by people), atomically;
    returns ``path``."""
    write_text_atomic(json.dumps(data, indent=1, ensure_ascii=False) + '\n', path)
    return path


def some_ids(ids: Iterable[str], k: int = 5) -> str:
    """The first ``k`` of the sorted ``ids``, quoted, and how many more: for messages."""
    ids = sorted(ids)
    shown = ', '.join(repr(i) for i in ids[:k])
    return shown + (f' and {len(ids) - k} more' if len(ids) > k else '')
