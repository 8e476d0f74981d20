"""The referring-expression variants file (thesis 6.5.2, table 6.7; A2Dre+ levels): the
variant texts of each expression per level, read by
:class:`mmsegsup.datasets.referring_variants.ReferringVariantsDataset` and made by
:mod:`mmsegsup.analysis.variants` (JSON, UTF-8; ``tools/analyze_referring.py make-variants``
writes one)::

    {"format": "mmsegsup-re-variants", "version": 1,
     "levels": ["generic", "actor", "action", "actor_action", "full"],
     "titles": {"generic": "Generic", ...},                           # optional
     "expressions": [
       {"expr_id": "vid/1",
        "variants": {"generic": "thing", "actor": "adult", "action": "walking",
                     "actor_action": "adult walking", "full": "man in a suit walking"},
        "labels": {"actor": "adult", "action": "walking"},            # optional, free
        "frames": {"24": {"action": "running", "actor_action": "adult running"}}}]}

``variants`` maps every level to a text, or to ``null`` where the variant does not apply
(no sample of that level then); ``frames`` (optional) overrides texts on some frames
(``frame_id`` as a string). Level names are letters, digits, ``_``, ``+`` and ``-`` (no
``#``: evaluated variants get ids ``"<expr_id>#<level>"``).
"""
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional, Tuple

from .errors import FormatError
from .json_files import (built_in, check_header, json_objects, load_json, objects_by_id,
                         write_json_file)

VARIANTS_FORMAT = 'mmsegsup-re-variants'
_LEVEL_NAME = re.compile(r'^[A-Za-z0-9_+\-]+$')


def check_level_name(level: str) -> str:
    """``level`` if it is a valid level name, else ``ValueError``."""
    if not isinstance(level, str) or not _LEVEL_NAME.match(level):
        raise ValueError(f'level names use letters, digits, _, + and - (no "#"), got {level!r}')
    return level


def check_text(value: object, where: str, nullable: bool = True) -> Optional[str]:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{where} must be a non-empty string{" or null" if nullable else ""}'
                         f', got {value!r}')
    return value.strip()


@dataclass(frozen=True)
class ExpressionVariants:
    """The variant texts of one expression: ``level -> text`` (``None``: not applicable),
    per-frame overrides ``frame_id -> {level: text}`` and free-form labels."""
    expr_id: str
    texts: Mapping[str, Optional[str]]
    frames: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.expr_id, str) or not self.expr_id:
            raise ValueError(f'expr_id must be a non-empty string, got {self.expr_id!r}')
        if not isinstance(self.texts, Mapping):
            raise ValueError(f'{self.expr_id}: variants must map levels to texts')
        texts = {check_level_name(k): check_text(v, f'{self.expr_id}: variant {k!r}')
                 for k, v in self.texts.items()}
        frames = {}
        for frame, over in dict(self.frames).items():
            if isinstance(frame, bool) or not isinstance(frame, int):
                raise ValueError(f'{self.expr_id}: frame ids must be integers, got {frame!r}')
            if not isinstance(over, Mapping):
                raise ValueError(f'{self.expr_id}: frame {frame} must map levels to texts')
            unknown = sorted(set(over) - set(texts))
            if unknown:
                raise ValueError(f'{self.expr_id}: frame {frame} overrides unknown level(s) '
                                 f'{", ".join(map(str, unknown))}')
            frames[frame] = {k: check_text(v, f'{self.expr_id}: frame {frame} variant {k!r}', False)
                             for k, v in over.items()}
        if not isinstance(self.labels, Mapping):
            raise ValueError(f'{self.expr_id}: labels must be a mapping')
        object.__setattr__(self, 'texts', texts)
        object.__setattr__(self, 'frames', frames)
        object.__setattr__(self, 'labels', {str(k): v for k, v in self.labels.items()})

    def text(self, level: str, frame_id: Optional[int] = None) -> Optional[str]:
        """The text of ``level`` on ``frame_id`` (the expression's text without override)."""
        if level not in self.texts:
            raise KeyError(f'{self.expr_id}: no variant for level {level!r}')
        if frame_id is not None and level in self.frames.get(int(frame_id), {}):
            return self.frames[int(frame_id)][level]
        return self.texts[level]

    def to_json(self) -> dict:
        out = {'expr_id': self.expr_id, 'variants': dict(self.texts)}
        if self.labels:
            out['labels'] = dict(self.labels)
        if self.frames:
            out['frames'] = {str(k): dict(v) for k, v in sorted(self.frames.items())}
        return out


def check_each_covers(names: Tuple[str, ...], what: str,
                      items: Iterable[Tuple[str, Iterable[str]]], message: str) -> None:
    """``names`` (a set's ``what``: levels, categories) are a non-empty list without repeats,
    and each ``(item id, keys)`` of ``items`` has exactly those keys; ``message`` says what is
    wrong with an item (fields ``{item}``, ``{keys}``: its sorted keys, ``{names}``)."""
    if not names or len(set(names)) != len(names):
        raise ValueError(f'{what} must be a non-empty list without repeats, got {names}')
    for item, keys in items:
        if set(keys) != set(names):
            raise ValueError(message.format(item=item, keys=sorted(keys),
                                            names=', '.join(names)))


@dataclass(frozen=True)
class VariantSet:
    """Variants of many expressions, all with the same ``levels`` (in table order)."""
    levels: Tuple[str, ...]
    expressions: Mapping[str, ExpressionVariants]
    titles: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        levels = tuple(check_level_name(lv) for lv in self.levels)
        check_each_covers(levels, 'levels',
                          ((e.expr_id, e.texts) for e in self.expressions.values()),
                          '{item}: variants for {keys}; expected exactly the levels {names}')
        object.__setattr__(self, 'levels', levels)
        object.__setattr__(self, 'titles', {lv: str(self.titles.get(lv, lv)) for lv in levels})


def _frames_from_json(value: object) -> Dict[int, Mapping[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError('"frames" must map frame ids to {level: text} objects')
    out = {}
    for key, over in value.items():
        if not str(key).lstrip('-').isdigit():
            raise ValueError(f'"frames" keys are frame ids (integers), got {key!r}')
        out[int(key)] = over
    return out


def _check_levels(levels: object, path: str) -> list:
    """The ``levels`` of a variants file: a non-empty list of distinct level names."""
    if not isinstance(levels, list) or not levels:
        raise FormatError(f'{path}: "levels" must be a non-empty list of level names', path)
    try:
        for level in levels:
            check_level_name(level)
    except ValueError as err:
        raise FormatError(f'{path}: "levels": {err}', path) from None
    if len(set(levels)) != len(levels):
        raise FormatError(f'{path}: "levels" lists a level twice: {levels}', path)
    return levels


def _expression(item: dict, levels: list) -> ExpressionVariants:
    """One entry of ``expressions``, its variants covering exactly ``levels``."""
    e = ExpressionVariants(item.get('expr_id'), item.get('variants'),
                           _frames_from_json(item.get('frames')), item.get('labels') or {})
    missing = [lv for lv in levels if lv not in e.texts]
    extra = [lv for lv in e.texts if lv not in levels]
    if missing or extra:
        raise ValueError(f'variants must cover exactly the levels {levels}: missing '
                         f'{missing}, unknown {extra}')
    return e


def variants_from_json(data: object, path: str = 'variants') -> VariantSet:
    """A :class:`VariantSet` from the parsed JSON of a variants file (module docstring);
    ``FormatError`` naming ``path`` and the entry otherwise."""
    check_header(data, path, VARIANTS_FORMAT, 'expressions')
    levels = _check_levels(data.get('levels'), path)
    titles = data.get('titles', {})
    if not isinstance(titles, dict):
        raise FormatError(f'{path}: "titles" must map levels to titles', path)
    known = ('expr_id', 'variants', 'labels', 'frames')
    out = objects_by_id(json_objects(data['expressions'], path, 'expressions', known),
                        lambda item: _expression(item, levels))
    return built_in(path, lambda: VariantSet(tuple(levels), out, titles))


def read_variants(path: str) -> VariantSet:
    """Read and validate a variants file (module docstring)."""
    return variants_from_json(load_json(path, 'variants'), path)


def write_variants(variants: VariantSet, path: str) -> str:
    """Write a variants file atomically (indented, to be read and edited); returns ``path``."""
    return write_json_file({'format': VARIANTS_FORMAT, 'version': 1,
                            'levels': list(variants.levels), 'titles': dict(variants.titles),
                            'expressions': [e.to_json() for e in variants.expressions.values()]},
                           path)
