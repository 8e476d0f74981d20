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

The variants are written to the variants file of :mod:`mmsegsup.formats.re_variants`.

**Augmented expressions (A2Dre+).** For each referent and each major category C (appearance,
location, motion, static), one expression that expresses C and one that does not, obtained
by editing the original slightly ("girl in yellow dress standing near the woman" -> "girl
standing near the woman": no appearance). One of the two is usually the original itself
(:func:`augmented_pair` builds the pair that way); an annotator may find a variant impossible
("Not Applicable" in fig. 6.7): ``null``. They are stored in the augmented-expressions file
of :mod:`mmsegsup.formats.re_augmented`; :func:`augmented_to_variants` turns them into a
variants set with levels ``"<category>+"`` and ``"<category>-"``, evaluated like the
information levels.
"""
from collections import Counter
from typing import Dict, Hashable, Iterable, List, Mapping, Optional, Sequence

from ..formats.re_augmented import AugmentedSet, Pair
from ..formats.re_categories import normalize_category
from ..formats.re_variants import ExpressionVariants, VariantSet, check_text
from .categories import referring_expression

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
        expr_id, expression = referring_expression(info, i)
        source = labels.get(expr_id) if labels is not None else info
        if source is None:
            raise ValueError(f'data info #{i}: no labels given for expression {expr_id!r}')
        actor = source.get('actor' if labels is not None else actor_key)
        if actor is None:
            raise ValueError(f'data info #{i} (expr_id {expr_id!r}) has no actor field '
                             f'{actor_key!r}; pass actor_key= or labels=')
        action = None if action_key is None else \
            source.get('action' if labels is not None else action_key)
        entry = per_expr.setdefault(expr_id, dict(actor=actor, full=expression, frames=[]))
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

def augmented_pair(original: str, original_categories: Iterable[str], category: str,
                   edited: Optional[str]) -> Pair:
    """The (with, without) pair of ``category`` made as in the thesis: the original is the
    "with" text when it expresses the category, else the "without" one, and ``edited`` (the
    original modified slightly to add or remove it; ``None``: not possible) is the other."""
    cats = {normalize_category(c) for c in original_categories}
    if normalize_category(category) in cats:
        return original, edited
    return edited, original


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


__all__ = ['ACTION_LEVELS', 'GENERIC_WORD', 'LEVELS', 'LEVEL_TITLES', 'NO_ACTION',
           'augmented_levels', 'augmented_pair', 'augmented_to_variants', 'count_applicable',
           'label_word', 'make_variants']
