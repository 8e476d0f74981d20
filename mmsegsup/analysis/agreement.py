"""Agreement between RE annotators: majority vote and Fleiss' kappa (thesis section 6.4.2).

The thesis keeps, for each expression, every category that at least two of the three
annotators assigned, and reports per-category kappas (.83 to .97; obj-static .35; class
category in perfect agreement). :func:`fleiss_kappa` is the standard statistic of Fleiss (1971)
on a subjects x categories count matrix; :func:`category_kappas` applies it per RE category
with the two outcomes "assigned" / "not assigned".
"""
import math
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from ..formats.re_categories import (CATEGORIES, REAnnotation, check_same_expressions,
                                     normalize_category)


def fleiss_kappa(counts: np.ndarray, if_undefined: float = 1.0) -> float:
    """Fleiss' kappa of ``counts`` (N subjects x k categories, ``counts[i, j]`` = raters who
    put subject i in category j; every row sums to the same number of raters n >= 2).

    kappa = (P - Pe) / (1 - Pe), with P the mean over subjects of the share of agreeing rater
    pairs, ``P_i = (sum_j n_ij^2 - n) / (n (n - 1))``, and Pe = sum_j p_j^2 with p_j the share
    of all ratings in category j. When every rating falls in one single category, Pe = 1 and
    kappa is 0/0; then ``if_undefined`` is returned: by default 1.0, the raters do agree
    perfectly (what the thesis reports for class category); pass ``float('nan')`` to get the
    statistic's strict reading instead.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] < 1 or counts.shape[1] < 1:
        raise ValueError(f'counts must be a non-empty 2-D array (subjects x categories), got '
                         f'shape {counts.shape}')
    if not np.issubdtype(counts.dtype, np.number) or np.any(counts < 0) or \
            np.any(counts != np.round(counts)):
        raise ValueError('counts must hold non-negative whole numbers (raters per category)')
    counts = counts.astype(np.float64)
    raters = counts.sum(axis=1)
    if np.any(raters != raters[0]):
        bad = int(np.argmax(raters != raters[0]))
        raise ValueError(f'every subject needs the same number of ratings: subject 0 has '
                         f'{int(raters[0])}, subject {bad} has {int(raters[bad])}')
    n = raters[0]
    if n < 2:
        raise ValueError(f'Fleiss\' kappa needs at least 2 raters per subject, got {int(n)}')
    p_subject = ((counts ** 2).sum(axis=1) - n) / (n * (n - 1))
    p_category = counts.sum(axis=0) / counts.sum()
    p_bar = p_subject.mean()
    p_e = float((p_category ** 2).sum())
    if math.isclose(p_e, 1.0):
        return float(if_undefined)
    return float((p_bar - p_e) / (1.0 - p_e))


def category_votes(annotators: Sequence[Mapping[str, REAnnotation]],
                   categories: Sequence[str] = CATEGORIES) -> Dict[str, Dict[str, int]]:
    """``expr_id -> {category: number of annotators who assigned it}`` (checks that all
    annotators labeled the same expressions)."""
    ids = check_same_expressions(annotators)
    cats = [normalize_category(c) for c in categories]
    return {e: {c: sum(c in a[e].categories for a in annotators) for c in cats} for e in ids}


def category_count_matrix(annotators: Sequence[Mapping[str, REAnnotation]],
                          category: str) -> np.ndarray:
    """(expressions x 2) counts ``[assigned, not assigned]`` of one category, rows in sorted
    ``expr_id`` order: the input of :func:`fleiss_kappa`."""
    cat = normalize_category(category)
    votes = category_votes(annotators, [cat])
    n = len(annotators)
    return np.array([[v[cat], n - v[cat]] for v in votes.values()], dtype=np.int64).reshape(-1, 2)


def category_kappas(annotators: Sequence[Mapping[str, REAnnotation]],
                    categories: Sequence[str] = CATEGORIES,
                    if_undefined: float = 1.0) -> Dict[str, float]:
    """Fleiss' kappa per category over all expressions (see :func:`fleiss_kappa` for the case
    where a category is never, or always, assigned by anyone)."""
    if len(annotators) < 2:
        raise ValueError(f'agreement needs at least 2 annotators, got {len(annotators)}')
    return {normalize_category(c): fleiss_kappa(category_count_matrix(annotators, c),
                                                if_undefined)
            for c in categories}


def _check_min_agree(min_agree: int, n: int) -> None:
    if not isinstance(min_agree, int) or not 1 <= min_agree <= n:
        raise ValueError(f'min_agree must be an integer in 1..{n} (the number of annotators), '
                         f'got {min_agree!r}')


def _vote(values: List, min_agree: int) -> Optional[object]:
    """The most frequent labeled value when it reaches ``min_agree`` votes and is not tied."""
    counts = Counter(v for v in values if v is not None).most_common()
    if not counts or counts[0][1] < min_agree:
        return None
    if len(counts) > 1 and counts[1][1] == counts[0][1]:
        return None
    return counts[0][0]


def majority_vote(annotators: Sequence[Mapping[str, REAnnotation]], min_agree: int = 2
                  ) -> Dict[str, REAnnotation]:
    """The final labels: per expression, every category assigned by at least ``min_agree``
    annotators (the thesis: 2 of 3). ``trivial``, ``correctness`` and ``redundancy`` take the
    value given by at least ``min_agree`` annotators (and by more than any other value), else
    ``None``; notes are joined. Rows follow the sorted ``expr_id`` order."""
    ids = check_same_expressions(annotators)
    _check_min_agree(min_agree, len(annotators))
    out = {}
    for e in ids:
        labels = [a[e] for a in annotators]
        votes = Counter(c for a in labels for c in a.categories)
        notes = [a.note for a in labels if a.note]
        out[e] = REAnnotation(
            e, frozenset(c for c, k in votes.items() if k >= min_agree),
            _vote([a.trivial for a in labels], min_agree),
            _vote([a.correctness for a in labels], min_agree),
            _vote([a.redundancy for a in labels], min_agree), ' | '.join(notes))
    return out
