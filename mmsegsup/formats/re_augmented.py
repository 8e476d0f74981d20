"""The augmented-expressions file (A2Dre+, thesis section 6.4.3, table 6.6): per referent and
major category C (appearance, location, motion, static), one expression that expresses C and
one that does not, written by annotators (or :func:`mmsegsup.analysis.variants.augmented_pair`)
and turned into variants by :func:`mmsegsup.analysis.variants.augmented_to_variants`.

File (JSON, UTF-8)::

    {"format": "mmsegsup-re-augmented", "version": 1,
     "categories": ["appearance", "location", "motion", "static"],
     "referents": [
       {"expr_id": "vid/1", "original": "girl in yellow dress standing near the woman",
        "original_categories": ["appearance", "class_category", "location", "static"],
        "expressions": {
          "appearance": {"with": "girl in yellow dress standing near the woman",
                         "without": "girl standing near the woman"},
          "location": {"with": "girl in yellow dress standing near the woman",
                       "without": "girl in yellow dress standing"},
          "motion": {"with": "girl in yellow dress walking",
                     "without": "girl in yellow dress standing near the woman"},
          "static": {"with": "girl in yellow dress standing near the woman",
                     "without": null}}}]}

``expr_id`` is the original expression's id in the dataset (its frames and masks are used);
``original`` and ``original_categories`` are optional; every category of ``categories`` must
appear in ``expressions`` (both texts may be ``null``: "Not Applicable" in fig. 6.7), the two
texts of a pair must differ.
"""
from dataclasses import dataclass
from typing import FrozenSet, Mapping, Optional, Tuple

from .errors import FormatError
from .json_files import (built_in, check_header, json_objects, load_json, objects_by_id,
                         write_json_file)
from .re_categories import MAJOR_CATEGORIES, normalize_category
from .re_variants import check_each_covers, check_text

AUGMENTED_FORMAT = 'mmsegsup-re-augmented'
Pair = Tuple[Optional[str], Optional[str]]


@dataclass(frozen=True)
class AugmentedReferent:
    """One referent of A2Dre+: per category the expression with it and the one without."""
    expr_id: str
    pairs: Mapping[str, Pair]
    original: Optional[str] = None
    original_categories: Optional[FrozenSet[str]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.expr_id, str) or not self.expr_id:
            raise ValueError(f'expr_id must be a non-empty string, got {self.expr_id!r}')
        pairs = {}
        for cat, pair in dict(self.pairs).items():
            name = normalize_category(cat)
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f'{self.expr_id}: {name} needs a (with, without) pair')
            with_, without = (check_text(t, f'{self.expr_id}: {name} {w!r}')
                              for t, w in zip(pair, ('with', 'without')))
            if with_ is not None and with_ == without:
                raise ValueError(f'{self.expr_id}: the {name} texts with and without are the '
                                 f'same ({with_!r}); they must differ in the category')
            pairs[name] = (with_, without)
        if not any(t is not None for p in pairs.values() for t in p):
            raise ValueError(f'{self.expr_id}: every expression is null')
        object.__setattr__(self, 'pairs', pairs)
        object.__setattr__(self, 'original', check_text(self.original, f'{self.expr_id}: original'))
        if self.original_categories is not None:
            if isinstance(self.original_categories, str):
                raise ValueError(f'{self.expr_id}: original_categories must be a list')
            object.__setattr__(self, 'original_categories', frozenset(
                normalize_category(c) for c in self.original_categories))


@dataclass(frozen=True)
class AugmentedSet:
    """Augmented expressions of many referents, over the same ``categories``."""
    categories: Tuple[str, ...]
    referents: Mapping[str, AugmentedReferent]

    def __post_init__(self) -> None:
        cats = tuple(normalize_category(c) for c in self.categories)
        check_each_covers(cats, 'categories',
                          ((r.expr_id, r.pairs) for r in self.referents.values()),
                          '{item}: expressions for {keys}; expected every category of '
                          '{names} (null texts where not applicable)')
        object.__setattr__(self, 'categories', cats)


def _referent(item: dict) -> AugmentedReferent:
    """One entry of ``referents``; ``ValueError`` saying what is wrong."""
    exprs = item.get('expressions')
    if not isinstance(exprs, dict):
        raise ValueError('"expressions" must map categories to {"with": ..., "without": ...}')
    pairs = {}
    for cat, pair in exprs.items():
        if not isinstance(pair, dict) or set(pair) != {'with', 'without'}:
            raise ValueError(f'expressions[{cat!r}] must be an object with exactly "with" '
                             'and "without" (null if not possible)')
        pairs[cat] = (pair['with'], pair['without'])
    return AugmentedReferent(item.get('expr_id'), pairs, item.get('original'),
                             item.get('original_categories'))


def augmented_from_json(data: object, path: str = 'augmented') -> AugmentedSet:
    """An :class:`AugmentedSet` from the parsed JSON of an augmented-expressions file."""
    check_header(data, path, AUGMENTED_FORMAT, 'referents')
    cats = data.get('categories', list(MAJOR_CATEGORIES))
    if not isinstance(cats, list):
        raise FormatError(f'{path}: "categories" must be a list of category names', path)
    known = ('expr_id', 'original', 'original_categories', 'expressions')
    out = objects_by_id(json_objects(data['referents'], path, 'referents', known), _referent)
    return built_in(path, lambda: AugmentedSet(tuple(cats), out))


def read_augmented(path: str) -> AugmentedSet:
    """Read and validate an augmented-expressions file (module docstring)."""
    return augmented_from_json(load_json(path, 'augmented-expressions'), path)


def write_augmented(augmented: AugmentedSet, path: str) -> str:
    """Write an augmented-expressions file atomically (indented); returns ``path``."""
    referents = []
    for r in augmented.referents.values():
        item = {'expr_id': r.expr_id}
        if r.original is not None:
            item['original'] = r.original
        if r.original_categories is not None:
            item['original_categories'] = sorted(r.original_categories)
        item['expressions'] = {c: {'with': r.pairs[c][0], 'without': r.pairs[c][1]}
                               for c in augmented.categories}
        referents.append(item)
    return write_json_file({'format': AUGMENTED_FORMAT, 'version': 1,
                            'categories': list(augmented.categories), 'referents': referents},
                           path)
