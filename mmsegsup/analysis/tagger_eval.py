"""Scores of the RE category tagger (:mod:`.tagger`) against manual labels (thesis section
6.4.2): precision, recall and F1 per category, and a Markdown table of them."""
from typing import Dict, Iterable, Mapping, Sequence, Union

from ..formats.re_categories import CATEGORIES, REAnnotation, category_set, normalize_category
from .tagger import TagResult

Labels = Union[TagResult, REAnnotation, Iterable[str]]


def evaluate_tagger(pred: Mapping[str, Labels], gold: Mapping[str, Labels],
                    categories: Sequence[str] = CATEGORIES, zero_division: float = 0.0
                    ) -> Dict[str, Dict[str, float]]:
    """Precision, recall and F1 per category (and ``micro`` over them) of predicted against
    manual labels; values are TagResults, REAnnotations or sets of category names.

    Every ``gold`` expression needs a prediction (extra predictions are ignored). Precision
    (recall) with no predicted (gold) positive is ``zero_division``. Each entry also holds
    ``tp``, ``fp``, ``fn`` and ``support`` (gold positives).
    """
    missing = [e for e in gold if e not in pred]
    if missing:
        raise ValueError(f'{len(missing)} gold expression(s) have no prediction, e.g. '
                         f'{", ".join(repr(e) for e in sorted(missing)[:5])}')
    if not gold:
        raise ValueError('no gold expressions given')
    cats = [normalize_category(c) for c in categories]
    counts = {c: [0, 0, 0] for c in cats}
    for e, labels in gold.items():
        g, p = category_set(labels, f'gold {e!r}'), category_set(pred[e], f'prediction {e!r}')
        for c in cats:
            counts[c][0] += c in p and c in g
            counts[c][1] += c in p and c not in g
            counts[c][2] += c in g and c not in p
    counts['micro'] = [sum(counts[c][k] for c in cats) for k in range(3)]
    return {c: _scores(tp, fp, fn, zero_division) for c, (tp, fp, fn) in counts.items()}


def _scores(tp: int, fp: int, fn: int, zero_division: float) -> Dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else zero_division
    recall = tp / (tp + fn) if tp + fn else zero_division
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {'precision': precision, 'recall': recall, 'f1': f1, 'tp': tp, 'fp': fp,
            'fn': fn, 'support': tp + fn}


def format_tagger_report(scores: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table of :func:`evaluate_tagger`'s result."""
    lines = ['| category | precision | recall | F1 | support |', '|---|---|---|---|---|']
    for c, s in scores.items():
        lines.append(f'| {c} | {s["precision"]:.3f} | {s["recall"]:.3f} | {s["f1"]:.3f} | '
                     f'{int(s["support"])} |')
    return '\n'.join(lines) + '\n'
