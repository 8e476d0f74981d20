"""Variant expressions of a referent: the information-level study (thesis 6.5.2, table 6.7)
and A2Dre+-style augmented expressions (section 6.4.3, table 6.6).

**Information levels.** The thesis feeds RefVOS, for every A2D test expression, "only the
actor, the action, or the actor and action, without formulating any RE", the generic phrase
"thing", and the full phrase. :func:`make_variants` builds these from the dataset's labels:

=================  ============================  =====================
level              text                          A2D example
=================  ============================  =====================
``generic``        the generic word              "thing"
``actor``          the actor name                "adult"
``action``         the action name               "walking"
``actor_action``   actor then action             "adult walking"
``full``           the dataset's expression      "man in a suit walking"
=================  ============================  =====================

Label names are used as words (``_`` read as a space). Generic over the label fields: the
synthetic shapes have the class as the "actor" and no action, so their levels are
``generic, actor, full``. A2D labels the action per annotated frame, so it may change along
a video: the expression's action is the most frequent one over its frames (ties: the
earliest), and frames with another action get their own ``action`` / ``actor_action`` texts.
A2D's action ``none`` (the actor does nothing) is no word: there the action-only text is the
generic word and actor + action is the actor alone (the thesis does not say what it fed; this
keeps every referent at every level, so the rows of table 6.7 compare the same referents).

Variants file (JSON, UTF-8; read by :func:`read_variants`, written by :func:`write_variants`
and by ``tools/analyze_referring.py make-variants``)::

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

**Augmented expressions (A2Dre+).** For each referent and each major category C (appearance,
location, motion, static), one expression that expresses C and one that does not, obtained
by editing the original slightly ("girl in yellow dress standing near the woman" -> "girl
standing near the woman": no appearance). One of the two is usually the original itself
(:func:`augmented_pair` builds the pair that way); an annotator may find a variant impossible
("Not Applicable" in fig. 6.7): ``null``. File (JSON, UTF-8)::

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
appear in ``expressions`` (both texts may be ``null``), the two texts of a pair must differ.
:func:`augmented_to_variants` turns it into a variants set with levels ``"<category>+"`` and
``"<category>-"``, evaluated like the information levels.
"""
import json
from collections import Counter
from dataclasses import dataclass
from typing import (Dict, FrozenSet, Hashable, Iterable, List, Mapping, Optional, Sequence,
                    Tuple)

from ..formats.errors import DatasetFormatError
from ..formats.json_files import check_header, json_objects, load_json, objects_by_id
from ..formats.re_variants import (VARIANTS_FORMAT, ExpressionVariants, VariantSet,
                                   check_each_covers, check_level_name, check_text,
                                   read_variants, variants_from_json, write_variants)
from ..formats.referring_shapes import shapes_class_labels
from ..utils.io import write_text_atomic
from .categories import MAJOR_CATEGORIES, normalize_category

AUGMENTED_FORMAT = 'mmsegsup-re-augmented'
GENERIC_WORD = 'thing'  # "we consider a generic phrase thing" (6.5.2)
LEVELS = ('generic', 'actor', 'action', 'actor_action', 'full')
ACTION_LEVELS = ('action', 'actor_action')
LEVEL_TITLES = {'generic': 'Generic', 'actor': 'Only Actor', 'action': 'Only Action',
                'actor_action': 'Actor + Action', 'full': 'Full phrase'}  # table 6.7
NO_ACTION = ('none', )  # A2D's "no action" label


# ---- information levels from labels ----------------------------------------------------------

def label_word(name: object) -> str:
    """A label name as a word: ``teddy_bear`` -> ``teddy bear``."""
    return ' '.join(str(name).replace('_', ' ').split())


def _dominant(values: Sequence[Hashable]) -> Hashable:
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


def _level_texts(actor: str, action: Optional[str], full: str, generic: str,
                 no_action: Sequence[str], with_action: bool) -> Dict[str, str]:
    texts = {'generic': generic, 'actor': actor}
    if with_action:
        if action is None or action in no_action:
            texts.update(action=generic, actor_action=actor)
        else:
            texts.update(action=action, actor_action=f'{actor} {action}')
    texts['full'] = full
    return texts


def make_variants(data_infos: Iterable[Mapping], actor_key: str = 'actor',
                  action_key: Optional[str] = 'action',
                  labels: Optional[Mapping[str, Mapping[str, object]]] = None,
                  generic: str = GENERIC_WORD, no_action: Sequence[str] = NO_ACTION
                  ) -> VariantSet:
    """The information-level variants of every expression of a referring dataset's samples
    (``expr_id``, ``expression``, the label fields; one sample per frame is fine).

    ``labels`` (``expr_id -> {"actor": ..., "action": ...}``) replaces the label fields of
    the samples, for datasets whose infos lack them (the synthetic shapes' class). The action
    levels are made when the samples (or ``labels``) have an action, skipped when none has.
    """
    generic = check_text(generic, 'the generic word', False)
    per_expr: Dict[str, dict] = {}
    for i, info in enumerate(data_infos):
        if 'expr_id' not in info or 'expression' not in info:
            raise ValueError(f'data info #{i} lacks expr_id or expression (the referring data '
                             f'contract)')
        expr_id = str(info['expr_id'])
        source = labels.get(expr_id) if labels is not None else info
        if source is None:
            raise ValueError(f'data info #{i}: no labels given for expression {expr_id!r}')
        actor = source.get('actor' if labels is not None else actor_key)
        if actor is None:
            raise ValueError(f'data info #{i} (expr_id {expr_id!r}) has no actor field '
                             f'{actor_key!r}; pass actor_key= or labels=')
        action = None if action_key is None else \
            source.get('action' if labels is not None else action_key)
        entry = per_expr.setdefault(expr_id, dict(actor=actor, full=info['expression'],
                                                  frames=[]))
        if entry['actor'] != actor:
            raise ValueError(f'data info #{i}: expression {expr_id!r} has actor '
                             f'{entry["actor"]!r} on one frame and {actor!r} on another; the '
                             f'actor must be fixed per expression')
        entry['frames'].append((info.get('frame_id'), action))
    if not per_expr:
        raise ValueError('no data infos given')
    has_action = [a is not None for e in per_expr.values() for _, a in e['frames']]
    with_action = any(has_action)
    if with_action and not all(has_action):
        raise ValueError(f'some samples have the action field {action_key!r} and others do '
                         f'not; every sample needs an action (or none does)')
    levels = tuple(lv for lv in LEVELS if with_action or lv not in ACTION_LEVELS)
    out = {}
    for expr_id, e in per_expr.items():
        actor = label_word(e['actor'])
        actions = [None if a is None else label_word(a) for _, a in e['frames']]
        main = _dominant(actions)
        texts = _level_texts(actor, main, e['full'], generic, no_action, with_action)
        frames = {}
        for (frame, _), action in zip(e['frames'], actions):
            if action != main and frame is not None:
                own = _level_texts(actor, action, e['full'], generic, no_action, with_action)
                frames[int(frame)] = {k: own[k] for k in ACTION_LEVELS if own[k] != texts[k]}
        lab = {'actor': actor} if not with_action else {'actor': actor, 'action': main}
        out[expr_id] = ExpressionVariants(expr_id, texts, {k: v for k, v in frames.items()
                                                           if v}, lab)
    return VariantSet(levels, out, {lv: LEVEL_TITLES[lv] for lv in levels})


# ---- augmented expressions (A2Dre+) ----------------------------------------------------------

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


def augmented_pair(original: str, original_categories: Iterable[str], category: str,
                   edited: Optional[str]) -> Pair:
    """The (with, without) pair of ``category`` made as in the thesis: the original is the
    "with" text when it expresses the category, else the "without" one, and ``edited`` (the
    original modified slightly to add or remove it; ``None``: not possible) is the other."""
    cats = {normalize_category(c) for c in original_categories}
    if normalize_category(category) in cats:
        return original, edited
    return edited, original


def augmented_from_json(data: object, path: str = 'augmented') -> AugmentedSet:
    """An :class:`AugmentedSet` from the parsed JSON of an augmented-expressions file."""
    check_header(data, path, AUGMENTED_FORMAT, 'referents')
    cats = data.get('categories', list(MAJOR_CATEGORIES))
    if not isinstance(cats, list):
        raise DatasetFormatError(f'{path}: "categories" must be a list of category names')

    def referent(item: dict) -> AugmentedReferent:
        exprs = item.get('expressions')
        if not isinstance(exprs, dict):
            raise ValueError('"expressions" must map categories to {"with": ..., "without": '
                             '...}')
        pairs = {}
        for cat, pair in exprs.items():
            if not isinstance(pair, dict) or set(pair) != {'with', 'without'}:
                raise ValueError(f'expressions[{cat!r}] must be an object with exactly "with" '
                                 'and "without" (null if not possible)')
            pairs[cat] = (pair['with'], pair['without'])
        return AugmentedReferent(item.get('expr_id'), pairs, item.get('original'),
                                 item.get('original_categories'))

    known = ('expr_id', 'original', 'original_categories', 'expressions')
    out = objects_by_id(json_objects(data['referents'], path, 'referents', known), referent)
    try:
        return AugmentedSet(tuple(cats), out)
    except ValueError as err:
        raise DatasetFormatError(f'{path}: {err}') from None


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
    data = {'format': AUGMENTED_FORMAT, 'version': 1, 'categories': list(augmented.categories),
            'referents': referents}
    write_text_atomic(json.dumps(data, indent=1, ensure_ascii=False) + '\n', path)
    return path


def augmented_levels(categories: Sequence[str]) -> List[str]:
    """The variant levels of augmented expressions: ``appearance+, appearance-, ...``."""
    return [f'{normalize_category(c)}{s}' for c in categories for s in ('+', '-')]


def augmented_to_variants(augmented: AugmentedSet) -> VariantSet:
    """The augmented expressions as variants with levels ``"<category>+"`` (with) and
    ``"<category>-"`` (without); null texts stay null (no sample)."""
    out = {}
    for r in augmented.referents.values():
        texts = {}
        for c in augmented.categories:
            texts[f'{c}+'], texts[f'{c}-'] = r.pairs[c]
        out[r.expr_id] = ExpressionVariants(r.expr_id, texts)
    levels = augmented_levels(augmented.categories)
    return VariantSet(tuple(levels), out, {lv: ('+' if lv.endswith('+') else '-') + lv[:-1]
                                           for lv in levels})


def count_applicable(variants: VariantSet) -> Dict[str, int]:
    """Expressions with a text, per level (null texts are not applicable)."""
    return {lv: sum(e.texts[lv] is not None for e in variants.expressions.values())
            for lv in variants.levels}


__all__ = ['ACTION_LEVELS', 'AUGMENTED_FORMAT', 'AugmentedReferent', 'AugmentedSet',
           'ExpressionVariants', 'GENERIC_WORD', 'LEVELS', 'LEVEL_TITLES', 'NO_ACTION',
           'VARIANTS_FORMAT', 'VariantSet', 'augmented_from_json', 'augmented_levels',
           'augmented_pair', 'augmented_to_variants', 'check_level_name', 'count_applicable',
           'label_word', 'make_variants', 'read_augmented', 'read_variants',
           'shapes_class_labels', 'variants_from_json', 'write_augmented', 'write_variants']
