"""A transparent rule- and lexicon-based tagger of RE categories (thesis section 6.4.2).

The tagger pre-labels expressions with the seven categories of table 6.2 and says which words
triggered each, so a person can check it, and :func:`evaluate_tagger` scores it against manual
labels. No parser: lowercase word tokens, lemmas by suffix rules guided by the lexicons
(:mod:`mmsegsup.analysis.lexicons`), lexicon phrases matched longest first, and these rules:

1. The referent's phrase is the start of the expression up to the first boundary: a
   preposition, a copula / relative pronoun / conjunction, an "in front of"-like location
   phrase, or a verb that is not attributive ("the *running* dog": a participle after a
   determiner or adjective, before a noun, stays inside).
2. class category: the last class noun of that phrase (its head; "the dog chasing a ball" ->
   dog, not ball; "the one on the left" -> none). If the phrase has none and ends at "of", the
   phrase after "of" is searched ("the biggest of the dogs"). A word that is both a colour
   and a class ("orange") is the class only when it ends the phrase.
3. appearance: colour, clothing and size/feature words of the referent's phrase ("brown
   horse"); a phrase after "in"/"with" ending in such a word or holding clothing ("man in red
   shirt", "girl with long hair"); "wearing"/"dressed" and what follows; adjectives after a
   copula ("the ball is red"). Looks of other objects ("chasing a red ball") do not count.
4. location: location words anywhere ("left", "middle", "leftmost", "near", "next to",
   "behind", ...); and "on"/"in"/"at"/... followed by a noun phrase ("on the floor", "in the
   water") unless it describes looks (rule 3) or the preposition belongs to a verb ("looking
   at the camera"). Paths ("into", "towards", "across") are motion, not location.
5. motion: verbs of moving or changing location ("walking", "jumping", "rolling", "chasing");
   static: actions without moving ("sitting", "standing", "eating", "holding", "parked").
   A verb must be used as a verb: a base form after a determiner is a noun ("in the park").
6. obj-motion: a verb that moves another object, with a direct object right after it ("riding
   a bike", "pushing a cart", "walking a dog", "kicking the ball"); it is also motion. Chasing
   or following does not move the other object: motion only. obj-static: a verb acting on an
   object without moving it, with a direct object ("holding a bike", "eating a sandwich",
   "petting the dog"); it is also static. "sitting on the chair" is static + location (the
   referent does not act on the chair), "walking with a man" motion only.

Extend with ``Tagger(extra={'appearance': ['tartan'], 'class_nouns': ['seal']})``, a lexicon
file (JSON / YAML, the same mapping; :mod:`mmsegsup.formats.re_lexicons`) or ``class_names=``
(the dataset's class names). :mod:`.tagger_eval` scores the tagger against manual labels.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from ..formats.errors import FormatError
from ..formats.re_categories import CATEGORIES, REAnnotation, normalize_category
from ..formats.re_lexicons import load_lexicon_file
from .categories import referring_expression
from .lexicons import CATEGORY_LEXICON, IRREGULAR, LEXICONS

VERB_LISTS = ('motion_verbs', 'obj_motion_verbs', 'static_verbs', 'obj_static_verbs',
              'appearance_verbs', 'particle_verbs')
NOUN_LISTS = ('class_nouns', 'clothing', 'appearance_words')
ADJECTIVE_LISTS = ('colours', 'appearance_words', 'location_words')
LOOK_LISTS = ('colours', 'clothing', 'appearance_words')
LOCATION_LISTS = ('location_words', 'location_prepositions')
PARTICLES = ('up', 'down', 'out', 'off', 'away', 'back')
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


@dataclass(frozen=True)
class TagResult:
    """The categories found in one expression and, per category, the words behind it."""
    expression: str
    triggers: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)

    @property
    def categories(self) -> FrozenSet[str]:
        return frozenset(self.triggers)

    def to_annotation(self, expr_id: str) -> REAnnotation:
        """The categories as an annotation (e.g. to pre-fill an annotator's CSV)."""
        return REAnnotation(str(expr_id), self.categories,
                            note='tagger: ' + '; '.join(f'{c}={"/".join(self.triggers[c])}'
                                                        for c in CATEGORIES
                                                        if c in self.triggers))


@dataclass(frozen=True)
class _Unit:
    text: str
    lemma: str
    lists: FrozenSet[str]
    participle: bool

    def is_in(self, *names: str) -> bool:
        return any(n in self.lists for n in names)


def _list_name(key: str, where: str) -> str:
    if key in LEXICONS:
        return key
    try:
        return CATEGORY_LEXICON[normalize_category(key)]
    except ValueError:
        raise FormatError(
            f'{where}: unknown lexicon {key!r}; expected a category '
            f'({", ".join(CATEGORIES)}) or a list name ({", ".join(LEXICONS)})') from None


def _clean(entry: str, where: str, key: str) -> str:
    if not isinstance(entry, str) or not entry.strip():
        raise ValueError(f'{where}: lexicon {key!r} holds {entry!r}; expected non-empty words')
    return ' '.join(entry.lower().replace('_', ' ').split())


class Tagger:
    """Tags expressions with the RE categories (rules in the module docstring).

    Args:
        extra: more words per list, keyed by list name (:data:`~.lexicons.LEXICONS`) or by
            category name (which extends that category's main list).
        lexicon_file: a JSON / YAML file with the same mapping
            (:func:`~mmsegsup.formats.re_lexicons.load_lexicon_file`).
        class_names: the dataset's class names, added to the class nouns ("teddy_bear" is
            read as "teddy bear").
    """

    def __init__(self, extra: Optional[Mapping[str, Iterable[str]]] = None,
                 lexicon_file: Optional[str] = None, class_names: Iterable[str] = ()) -> None:
        lists = {name: list(words) for name, words in LEXICONS.items()}
        sources = []
        if lexicon_file is not None:
            sources.append((str(lexicon_file), load_lexicon_file(lexicon_file)))
        if extra:
            sources.append(('extra', extra))
        sources.append(('class_names', {'class_nouns': list(class_names)}))
        for where, mapping in sources:
            for key, words in mapping.items():
                if isinstance(words, str):
                    raise ValueError(f'{where}: lexicon {key!r} must be a list of words, got '
                                     f'the string {words!r}')
                lists[_list_name(key, where)] += [_clean(w, where, key) for w in words]
        self.lexicons: Dict[str, Tuple[str, ...]] = {k: tuple(dict.fromkeys(v))
                                                     for k, v in lists.items()}
        words_of = {k: {w for e in v for w in e.split()} for k, v in self.lexicons.items()}
        self._vocab = set().union(*words_of.values())
        self._nouns_verbs = set().union(*(words_of[k] for k in NOUN_LISTS + VERB_LISTS))
        self._verbs = set().union(*(words_of[k] for k in VERB_LISTS))
        self._adjectives = set().union(*(words_of[k] for k in ADJECTIVE_LISTS))
        self._keys = {k: {self._entry_key(e) for e in v} for k, v in self.lexicons.items()}
        self._max_phrase = max(len(e.split()) for v in self.lexicons.values() for e in v)

    # ---- words -------------------------------------------------------------------------------

    @staticmethod
    def _entry_key(entry: str) -> str:
        return ' '.join(IRREGULAR.get(w, w) for w in entry.split())

    def lemma(self, word: str) -> str:
        """The lemma of a lowercase word: irregular forms, known words, then suffix rules
        whose result must be a known word of the right kind (nouns/verbs for -s, verbs for
        -ing / -ed, adjectives for -er / -est); unknown words stay as they are."""
        if word in IRREGULAR:
            return IRREGULAR[word]
        if word in self._vocab:
            return word
        nv, v, adj = self._nouns_verbs, self._verbs, self._adjectives
        cands: List[Tuple[str, Set[str]]] = []
        if len(word) > 4 and word.endswith('ies'):
            cands.append((word[:-3] + 'y', nv))
        if len(word) > 3 and word.endswith('s') and not word.endswith('ss'):
            cands += [(word[:-1], nv), (word[:-2], nv)]
        for suffix, group in (('ing', v), ('ed', v), ('est', adj), ('er', adj)):
            if len(word) > len(suffix) + 1 and word.endswith(suffix):
                stem = word[:-len(suffix)]
                cands += [(stem, group), (stem + 'e', group)]
                if len(stem) > 2 and stem[-1] == stem[-2]:
                    cands.append((stem[:-1], group))
                if stem.endswith('i'):
                    cands.append((stem[:-1] + 'y', group))
        return next((c for c, group in cands if c in group), word)

    def tokenize(self, expression: str) -> List[str]:
        """Lowercase word tokens; possessive "'s" dropped, unknown hyphenated words split."""
        if not isinstance(expression, str):
            raise TypeError(f'an expression must be a string, got {type(expression).__name__}')
        tokens = []
        for tok in _TOKEN.findall(expression.lower().replace('\u2019', "'")):
            tok = re.sub(r"'s?$", '', tok)
            if '-' in tok and tok not in self._vocab:
                tokens += [t for t in tok.split('-') if t]
            elif tok:
                tokens.append(tok)
        return tokens

    def _units(self, tokens: Sequence[str]) -> List[_Unit]:
        lemmas = [self.lemma(t) for t in tokens]
        units, i = [], 0
        while i < len(tokens):
            for n in range(min(self._max_phrase, len(tokens) - i), 0, -1):
                key = ' '.join(lemmas[i:i + n])
                lists = frozenset(k for k, keys in self._keys.items() if key in keys)
                if lists or n == 1:
                    first = tokens[i]
                    participle = (first != lemmas[i] and first.endswith(('ing', 'ed'))) or \
                        (first in IRREGULAR and IRREGULAR[first] in self._verbs)
                    units.append(_Unit(' '.join(tokens[i:i + n]), key, lists, participle))
                    i += n
                    break
        return units

    # ---- roles -------------------------------------------------------------------------------

    def _roles(self, units: List[_Unit]) -> List[str]:
        """Per unit one of det, verb, attr (attributive participle), prep (on/in/at...),
        locprep (near, next to...), stop (boundary word) or word."""
        roles: List[str] = []
        for i, u in enumerate(units):
            prev = roles[-1] if roles else None
            if u.is_in('determiners') and (prev in (None, 'prep', 'locprep', 'verb', 'stop')
                                           or not u.is_in('boundary_words')):
                roles.append('det')
            elif u.is_in(*VERB_LISTS) and self._verb_use(u, prev, units[i - 1] if i else None):
                nxt = units[i + 1] if i + 1 < len(units) else None
                attributive = (u.participle and prev in (None, 'det', 'adj')
                               and nxt is not None and self._nominal(nxt))
                roles.append('attr' if attributive else 'verb')
            elif u.is_in('location_prepositions'):
                roles.append('locprep')
            elif u.is_in('spatial_prepositions'):
                roles.append('prep')
            elif u.is_in('boundary_words', 'copulas'):
                roles.append('stop')
            elif u.is_in('colours', 'appearance_words'):
                roles.append('adj')
            else:
                roles.append('word')
        return roles

    @staticmethod
    def _verb_use(u: _Unit, prev_role: Optional[str], prev: Optional[_Unit]) -> bool:
        """A verb lemma is a verb when it is a participle ("-ing", "-ed", "held"), otherwise
        not after a determiner or adjective ("the park", "the waves") nor when it is also a
        noun of the lexicons ("skateboard")."""
        if u.participle:
            return True
        return not (prev_role in ('det', 'adj') or u.is_in(*NOUN_LISTS))

    @staticmethod
    def _nominal(u: _Unit) -> bool:
        return not u.is_in('boundary_words', 'copulas', 'spatial_prepositions',
                           'location_prepositions', 'adverbs', *VERB_LISTS) or \
            u.is_in(*NOUN_LISTS)

    @staticmethod
    def _phrase(units: List[_Unit], roles: List[str], start: int) -> range:
        """The noun phrase starting at ``start``: up to a stop, preposition or verb."""
        end = start
        while end < len(units) and roles[end] not in ('stop', 'prep', 'locprep', 'verb') \
                and not units[end].is_in('adverbs') and end - start < 6:
            end += 1
        return range(start, end)

    # ---- tagging -----------------------------------------------------------------------------

    def tag(self, expression: str) -> TagResult:
        """The categories of one expression with their trigger words (see the module rules)."""
        units = self._units(self.tokenize(expression))
        roles = self._roles(units)
        found: Dict[str, List[Tuple[int, str]]] = {c: [] for c in CATEGORIES}
        subject = self._phrase(units, roles, 0)
        head = self._head(units, subject)
        if head is None and subject.stop < len(units) and units[subject.stop].lemma == 'of':
            head = self._head(units, self._phrase(units, roles, subject.stop + 1))
        if head is not None:
            found['class_category'].append((head, units[head].text))
        look_phrases: Set[int] = set()
        for i in subject:
            if i != head and units[i].is_in(*LOOK_LISTS):
                found['appearance'].append((i, units[i].text))
        for i, (u, role) in enumerate(zip(units, roles)):
            after = self._phrase(units, roles, i + 1)
            if u.is_in(*LOCATION_LISTS):
                found['location'].append((i, u.text))
            if role == 'prep' or u.lemma == 'with':
                looks = [j for j in after if units[j].is_in(*LOOK_LISTS)]
                describes_looks = len(after) > 0 and (
                    units[after[-1]].is_in(*LOOK_LISTS) or
                    any(units[j].is_in('clothing') for j in after))
                if describes_looks and u.lemma in ('in', 'with'):
                    look_phrases.add(i)
                    found['appearance'] += [(j, units[j].text) for j in looks]
                elif role == 'prep' and len(after) and not self._particle(units, roles, i) \
                        and not any(units[j].is_in(*LOCATION_LISTS) for j in after):
                    text = ' '.join([u.text] + [units[j].text for j in after])
                    found['location'].append((i, text))
            elif u.is_in('copulas'):
                j = i + 1
                while j < len(units) and units[j].is_in('colours', 'appearance_words',
                                                        'adverbs'):
                    if not units[j].is_in('adverbs'):
                        found['appearance'].append((j, units[j].text))
                    j += 1
            if role in ('verb', 'attr'):
                if role == 'attr' and i not in subject:
                    continue  # describes another object ("chasing a running dog")
                self._tag_verb(units, roles, i, role, found)
        triggers = {c: tuple(dict.fromkeys(t for _, t in sorted(found[c])))
                    for c in CATEGORIES if found[c]}
        return TagResult(expression, triggers)

    @staticmethod
    def _head(units: List[_Unit], phrase: range) -> Optional[int]:
        last = phrase.stop - 1
        heads = [j for j in phrase if units[j].is_in('class_nouns')
                 and not (units[j].is_in('colours') and j != last)]
        return heads[-1] if heads else None

    @staticmethod
    def _particle(units: List[_Unit], roles: List[str], i: int) -> bool:
        """Whether the preposition at ``i`` belongs to the verb before it ("look at")."""
        return i > 0 and roles[i - 1] == 'verb' and units[i - 1].is_in('particle_verbs')

    def _tag_verb(self, units: List[_Unit], roles: List[str], i: int, role: str,
                  found: Dict[str, List[Tuple[int, str]]]) -> None:
        u = units[i]
        if u.is_in('appearance_verbs'):
            found['appearance'].append((i, u.text))
            found['appearance'] += [(j, units[j].text) for j in self._phrase(units, roles, i + 1)
                                    if units[j].is_in(*LOOK_LISTS)]
        if u.is_in('motion_verbs', 'obj_motion_verbs'):
            found['motion'].append((i, u.text))
        if u.is_in('static_verbs', 'obj_static_verbs'):
            found['static'].append((i, u.text))
        if role != 'verb' or not u.is_in('obj_motion_verbs', 'obj_static_verbs'):
            return
        obj = self._direct_object(units, roles, i)
        if obj:
            text = ' '.join([u.text] + [units[j].text for j in obj])
            if u.is_in('obj_motion_verbs'):
                found['obj_motion'].append((i, text))
            if u.is_in('obj_static_verbs'):
                found['obj_static'].append((i, text))

    def _direct_object(self, units: List[_Unit], roles: List[str], i: int) -> range:
        """The noun phrase right after the verb at ``i`` (a particle may come between:
        "picking up a ball"), or an empty range."""
        j = i + 1
        if j + 1 < len(units) and units[j].lemma in PARTICLES and roles[j + 1] == 'det':
            j += 1
        if j >= len(units) or roles[j] in ('stop', 'prep', 'locprep', 'verb') or \
                units[j].is_in('adverbs', 'location_words') or not self._nominal(units[j]):
            return range(0)
        return self._phrase(units, roles, j)

    # ---- many expressions --------------------------------------------------------------------

    def tag_all(self, expressions: Mapping[str, str]) -> Dict[str, TagResult]:
        """``expr_id -> TagResult`` for ``expr_id -> expression``."""
        return {str(e): self.tag(text) for e, text in expressions.items()}

    def tag_data_infos(self, data_infos: Iterable[Mapping]) -> Dict[str, TagResult]:
        """Tag a referring dataset's samples (``expr_id``, ``expression``), once per
        expression although videos give one sample per frame."""
        expressions: Dict[str, str] = {}
        for k, info in enumerate(data_infos):
            expr_id, expression = referring_expression(info, k)
            expressions.setdefault(expr_id, expression)
        return self.tag_all(expressions)
