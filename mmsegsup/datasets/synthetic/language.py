"""The language of the synthetic referring shapes: what a description means and how it is said.

A description is a dict ``{attribute: value}`` over :data:`ATTRIBUTES` (colour, size, class,
location). :func:`referents` says which objects it fits (a location word picks the extreme of
the objects the other words leave, by a margin, on every frame), :func:`minimal_description`
finds the smallest one that singles an object out, and :func:`render_sentence` says it in
words from a small grammar ("the red circle", "big square on the right", "the leftmost green
one"). :data:`CATEGORY_OF` maps attributes to the thesis's expression categories (table 6.2).
"""
import itertools
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .scene import RefObject

ATTRIBUTES = ('colour', 'size', 'class', 'location')
DIRECTIONS = ('left', 'right', 'top', 'bottom')
CATEGORY_OF = {'colour': 'appearance', 'size': 'appearance', 'class': 'class category',
               'location': 'location'}  # thesis table 6.2
THESIS_CATEGORIES = ('appearance', 'class category', 'location')
SIZE_WORDS = {'small': ('small', 'little'), 'big': ('big', 'large')}
CLASS_WORDS = {'circle': ('circle', 'disc'), 'square': ('square', 'box'),
               'triangle': ('triangle', )}
LOCATION_PHRASES = {'left': ('on the left', 'at the left'),
                    'right': ('on the right', 'at the right'),
                    'top': ('at the top', 'on top'), 'bottom': ('at the bottom', 'near the bottom')}
LOCATION_SUPERLATIVES = {'left': 'leftmost', 'right': 'rightmost', 'top': 'topmost',
                         'bottom': 'lowest'}
_AXIS = {'left': (0, -1), 'right': (0, 1), 'top': (1, -1), 'bottom': (1, 1)}


def is_extreme(target: RefObject, group: Sequence[RefObject], direction: str,
               margin: float) -> bool:
    """Whether ``target`` is the ``direction``-most of ``group`` by ``margin`` px on every
    frame (vacuously true when it is alone)."""
    axis, sign = _AXIS[direction]
    mine = sign * target.centers[:, axis]
    return all(np.all(mine >= sign * o.centers[:, axis] + margin)
               for o in group if o.obj_id != target.obj_id)


def referents(objects: Sequence[RefObject], values: Dict[str, str],
              margin: float) -> List[int]:
    """Ids of the objects a description ``{attribute: value}`` fits (location is relative to
    the objects the other attributes leave)."""
    group = [o for o in objects
             if all(o.value(a) == v for a, v in values.items() if a != 'location')]
    if 'location' in values:
        group = [o for o in group if is_extreme(o, group, values['location'], margin)]
    return [o.obj_id for o in group]


def minimal_description(objects: Sequence[RefObject], target: RefObject,
                        rng: np.random.Generator, margin: float
                        ) -> Optional[Dict[str, str]]:
    """The first unique description over the smallest attribute subsets, tried in a seeded
    random order (so many combinations occur); ``None`` if no subset singles ``target`` out."""
    for k in range(1, len(ATTRIBUTES) + 1):
        subsets = list(itertools.combinations(ATTRIBUTES, k))
        for i in rng.permutation(len(subsets)):
            base = {a: target.value(a) for a in subsets[i] if a != 'location'}
            options = ([dict(base, location=DIRECTIONS[d]) for d in rng.permutation(4)]
                       if 'location' in subsets[i] else [base])
            for values in options:
                if referents(objects, values, margin) == [target.obj_id]:
                    return values
    return None


def render_sentence(values: Dict[str, str], rng: np.random.Generator) -> str:
    """Words for a description: size and colour adjectives, a class noun (or "one" /
    "shape" / "object"), a location phrase or superlative; articles are sometimes dropped."""
    pick = lambda words: words[int(rng.integers(len(words)))]  # noqa: E731
    adjectives = ([pick(SIZE_WORDS[values['size']])] if 'size' in values else []) + \
        ([values['colour']] if 'colour' in values else [])
    if 'class' in values:
        noun = pick(CLASS_WORDS[values['class']])
    else:
        noun = pick(('one', 'shape', 'object') if adjectives else ('shape', 'object'))
    location = values.get('location')
    if location is not None and rng.random() < 0.4:
        return ' '.join(['the', LOCATION_SUPERLATIVES[location], *adjectives, noun])
    words = (['the'] if rng.random() < 0.75 else []) + adjectives + [noun]
    if location is not None:
        words.append(pick(LOCATION_PHRASES[location]))
    return ' '.join(words)


def say(target: RefObject, values: Dict[str, str], rng: np.random.Generator,
        redundancy: float) -> Tuple[Dict[str, str], str, bool]:
    """The description actually said for ``target`` from its minimal one ``values``, its
    sentence and whether it stayed minimal: with probability ``redundancy`` the class word is
    added to a description without it (still unique: a further word only narrows the
    candidates), as people often do (thesis 6.4.2)."""
    minimal = not ('class' not in values and rng.random() < redundancy)
    values = values if minimal else dict(values, **{'class': target.shape})
    return values, render_sentence(values, rng), minimal


def thesis_categories(attributes: Sequence[str]) -> List[str]:
    """The thesis categories (in :data:`THESIS_CATEGORIES` order) of a description's
    attributes."""
    return [c for c in THESIS_CATEGORIES if any(CATEGORY_OF[a] == c for a in attributes)]
