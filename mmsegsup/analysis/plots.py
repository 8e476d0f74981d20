"""Bar plots of the referring-expression analysis as PNG files (matplotlib, Agg backend):
fig. 6.3 (difficulty, correctness and redundancy per dataset), fig. 6.4 (category
proportions per dataset), table 6.6 as a figure (mean IoU with / without each category) and
table 6.7 as a figure (IoU per information level). Inputs are the outputs of
:mod:`.categories` and :mod:`.study`; files are written atomically.
"""
import io
import math
from typing import Dict, List, Mapping, Sequence

import numpy as np

from ..formats.re_categories import CATEGORIES
from ..utils.io import _atomic
from .categories import CATEGORY_TITLES
from .study import SUBSET_TITLES, SUBSETS, CategoryEffect, LevelScore

LABEL_TITLES = {'trivial': 'trivial', 'non_trivial': 'non-trivial', 'ok': 'ok',
                'no_re': 'no RE', 'wrong_object': 'wrong object', 'redundant': 'redundant',
                'minimal': 'minimal'}
FIELDS = ('trivial', 'correctness', 'redundancy')
FIELD_LABELS = {'trivial': ('trivial', 'non_trivial'),
                'correctness': ('ok', 'no_re', 'wrong_object'),
                'redundancy': ('redundant', 'minimal')}


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=110, bbox_inches='tight')
    _atomic(path, lambda f: f.write(buf.getvalue()))
    return path


def _grouped_bars(ax, groups: Sequence[str], series: Mapping[str, Sequence[float]],
                  percent: bool = True) -> None:
    """Bars of several series side by side per group, values written on top."""
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for k, (name, values) in enumerate(series.items()):
        vals = [0.0 if v is None or math.isnan(v) else 100.0 * v if percent else v
                for v in values]
        bars = ax.bar(x + (k - (len(series) - 1) / 2) * width, vals, width, label=name)
        for bar, v, raw in zip(bars, vals, values):
            text = 'n/a' if raw is None or math.isnan(raw) else f'{v:.0f}' if percent \
                else f'{v:.2f}'
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha='center', va='bottom', fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels(groups, rotation=20, ha='right')
    ax.grid(alpha=0.3, axis='y')


def _bar_figure(path: str, groups: Sequence[str], series: Mapping[str, Sequence[float]],
                width: float, ylabel: str, title: str) -> str:
    """One panel of percent bars (:func:`_grouped_bars`) with its labels, saved to ``path``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width, 3.6))
    _grouped_bars(ax, groups, series)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 110)
    ax.set_title(title)
    ax.legend(fontsize=8)
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_difficulty(proportions: Mapping[str, Mapping[str, Mapping[str, float]]],
                    path: str) -> str:
    """Fig. 6.3: ``{dataset: {field: {value: share}}}`` with fields ``trivial``,
    ``correctness`` and ``redundancy`` (``label_proportions`` of each; a missing or empty
    field is left out) as percent bars, one colour per dataset."""
    if not proportions:
        raise ValueError('no dataset to plot')
    groups: List[str] = []
    series: Dict[str, List[float]] = {name: [] for name in proportions}
    for fld in FIELDS:
        if not any(props.get(fld) for props in proportions.values()):
            continue
        values = list(FIELD_LABELS[fld]) + sorted(
            {v for props in proportions.values() for v in (props.get(fld) or {})}
            - set(FIELD_LABELS[fld]))
        for value in values:
            groups.append(LABEL_TITLES.get(value, value))
            for name, props in proportions.items():
                series[name].append((props.get(fld) or {}).get(value, 0.0))
    if not groups:
        raise ValueError('no trivial / correctness / redundancy labels to plot')
    return _bar_figure(path, groups, series, max(5.0, 0.8 * len(groups) + 1),
                       'expressions (%)', 'Difficulty and correctness of the expressions')


def plot_category_proportions(proportions: Mapping[str, Mapping[str, float]], path: str,
                              categories: Sequence[str] = CATEGORIES) -> str:
    """Fig. 6.4: ``{dataset: {category: share}}`` (``category_proportions``) as percent bars
    per category, one colour per dataset."""
    if not proportions:
        raise ValueError('no dataset to plot')
    groups = [CATEGORY_TITLES.get(c, c) for c in categories]
    series = {name: [props.get(c, 0.0) for c in categories]
              for name, props in proportions.items()}
    return _bar_figure(path, groups, series, 6.4, 'expressions (%)', 'Expressions by category')


def plot_category_effect(effects: Sequence[CategoryEffect], path: str,
                         metric: str = 'mean_iou') -> str:
    """Table 6.6 as bars: per category the ``mean_iou`` (or ``overall_iou``) of expressions
    with (+) and without (-) it; empty groups are marked n/a."""
    if metric not in ('mean_iou', 'overall_iou'):
        raise ValueError(f"metric must be 'mean_iou' or 'overall_iou', got {metric!r}")
    if not effects:
        raise ValueError('no category to plot')
    groups = [CATEGORY_TITLES.get(e.category, e.category) for e in effects]
    series = {'with (+)': [getattr(e.present, metric) for e in effects],
              'without (-)': [getattr(e.absent, metric) for e in effects]}
    return _bar_figure(path, groups, series, max(4.5, 1.3 * len(groups) + 1),
                       ('mean' if metric == 'mean_iou' else 'overall') + ' IoU (%)',
                       'Effect of the presence of categories in the expressions')


def plot_information_levels(scores: Sequence[LevelScore], path: str) -> str:
    """Table 6.7 as bars: overall and mean IoU per information level, for trivial,
    non-trivial and all expressions (two panels)."""
    if not scores:
        raise ValueError('no level to plot')
    groups = [s.title for s in scores]
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(max(8.0, 2.2 * len(groups) + 2), 3.6),
                             sharey=True)
    for ax, metric, title in ((axes[0], 'overall_iou', 'Overall IoU'),
                              (axes[1], 'mean_iou', 'Mean IoU')):
        series = {SUBSET_TITLES[k]: [getattr(getattr(s, k), metric) for s in scores]
                  for k in SUBSETS}
        _grouped_bars(ax, groups, series)
        ax.set_title(title)
        ax.set_ylim(0, 110)
    axes[0].set_ylabel('IoU (%)')
    axes[1].legend(fontsize=8)
    fig.suptitle('IoU for different levels of information in the expressions')
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)
