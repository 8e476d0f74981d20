"""Reports of the active-learning loop: tables 5.2 / 5.3 and figs. 5.5-5.7 of the thesis.

From ``al_results.csv`` (one row per seed, strategy and round) and ``al_selections.csv`` (the
selected subsets' statistics) under a work folder:

* ``al_table.md`` / ``al_table.csv``: the metric per strategy (rows) and number of strongly
  labeled images (columns) as mean ± std over seeds, plus the IoU branch's MAE next to that of
  predicting the mean IoU;
* ``al_metric_vs_n.png``: the metric against the number of strong images, one line per strategy
  (error bars: std over seeds);
* ``al_beta.png``: per number of strong images, the metric against beta for the closest-to-beta
  strategies (predicted and oracle), with the random and MC-dropout baselines as bands
  (figs. 5.5 / 5.6);
* ``al_selected_sets.png``: objects per image and mean object size of the selected subsets per
  beta (fig. 5.7).
"""
import csv
import io
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np

from ..utils.io import write_text_atomic

BETA = re.compile(r'^(oracle-)?beta([0-9.]+)$')


def _read(path: str) -> List[dict]:
    if not osp.isfile(path):
        return []
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float('nan')


def _mean_std(values: List[float]) -> Tuple[float, float, int]:
    arr = np.array([v for v in values if not np.isnan(v)], dtype=np.float64)
    if not len(arr):
        return float('nan'), float('nan'), 0
    return float(arr.mean()), float(arr.std()), len(arr)


def summarize(rows: List[dict], key: str = 'score') -> Dict[Tuple[str, int], Tuple]:
    """``(strategy, num_labeled) -> (mean, std, seeds)`` of ``key`` over seeds."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r['strategy'], int(r['num_labeled']))].append(_float(r[key]))
    return {k: _mean_std(v) for k, v in sorted(groups.items())}


def _order(strategies) -> List[str]:
    def key(name):
        m = BETA.match(name)
        return (1 if m else 0, bool(m and m.group(1)), float(m.group(2)) if m else 0, name)
    return sorted(set(strategies), key=key)


def table(rows: List[dict]) -> Tuple[str, str]:
    """Markdown and CSV text of the mean ± std table."""
    stats = summarize(rows)
    mae = summarize(rows, 'iou_mae')
    base = summarize(rows, 'mean_baseline_mae')
    sizes = sorted({n for _, n in stats})
    metric = rows[0]['metric'] if rows else 'metric'
    md = [f'{metric} (mean ± std over seeds) by number of strongly labeled images', '',
          '| strategy | ' + ' | '.join(str(n) for n in sizes) + ' |',
          '|---|' + '---|' * len(sizes)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(['strategy', 'num_labeled', 'mean', 'std', 'seeds', 'iou_mae',
                     'mean_baseline_mae'])
    for s in _order(k[0] for k in stats):
        cells = []
        for n in sizes:
            if (s, n) in stats:
                m, sd, k = stats[(s, n)]
                cells.append(f'{m:.4f} ± {sd:.4f}')
                writer.writerow([s, n, m, sd, k, mae[(s, n)][0], base[(s, n)][0]])
            else:
                cells.append('')
        md.append(f'| {s} | ' + ' | '.join(cells) + ' |')
    md += ['', 'IoU branch on the unlabeled pool after each round: MAE of the predicted image '
           'scores vs. predicting the mean IoU for every image', '',
           '| strategy | labeled | MAE | mean-IoU MAE |', '|---|---|---|---|']
    for (s, n), (m, _, k) in mae.items():
        if k:
            md.append(f'| {s} | {n} | {m:.4f} | {base[(s, n)][0]:.4f} |')
    return '\n'.join(md) + '\n', out.getvalue()


def _save(fig, path: str) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100, bbox_inches='tight')
    from ..utils.io import _atomic
    _atomic(path, lambda f: f.write(buf.getvalue()))


def plot_metric_vs_n(rows: List[dict], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    stats = summarize(rows)
    fig, ax = plt.subplots(figsize=(6, 4))
    for s in _order(k[0] for k in stats):
        pts = sorted((n, m, sd) for (name, n), (m, sd, _) in stats.items() if name == s)
        ax.errorbar([p[0] for p in pts], [p[1] for p in pts], yerr=[p[2] for p in pts],
                    marker='o', capsize=3, label=s)
    ax.set_xlabel('strongly labeled images')
    ax.set_ylabel(rows[0]['metric'] if rows else '')
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def plot_beta(rows: List[dict], path: str) -> None:
    """Metric vs beta per number of strong images (figs. 5.5 / 5.6)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    stats = summarize(rows)
    sizes = sorted({n for (s, n) in stats if BETA.match(s)})
    if not sizes:
        return
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.5 * len(sizes), 3.5), squeeze=False)
    for ax, n in zip(axes[0], sizes):
        for oracle, label in ((False, 'predicted IoU'), (True, 'oracle IoU')):
            pts = sorted((float(BETA.match(s).group(2)), m, sd)
                         for (s, k), (m, sd, _) in stats.items()
                         if k == n and BETA.match(s) and bool(BETA.match(s).group(1)) == oracle)
            if pts:
                b, m, sd = map(np.array, zip(*pts))
                ax.plot(b, m, marker='o', label=label)
                ax.fill_between(b, m - sd, m + sd, alpha=0.2)
        for s in ('random', 'mc-dropout-highest', 'mc-dropout-lowest'):
            if (s, n) in stats:
                m, sd, _ = stats[(s, n)]
                line = ax.axhline(m, linestyle='--', label=s)
                ax.axhspan(m - sd, m + sd, color=line.get_color(), alpha=0.1)
        ax.set_title(f'{n} strong images')
        ax.set_xlabel('beta')
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(rows[0]['metric'])
    axes[0][-1].legend(fontsize=7)
    _save(fig, path)
    plt.close(fig)


def plot_selected_sets(selections: List[dict], path: str) -> None:
    """Objects per image and mean object size of the selected subsets per strategy (fig. 5.7)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if not selections:
        return
    names = _order(r['strategy'] for r in selections)
    fig, axes = plt.subplots(2, 1, figsize=(max(6, 0.6 * len(names)), 6), sharex=True)
    for ax, key, label in ((axes[0], 'mean_object_size', 'mean object size (image fraction)'),
                           (axes[1], 'objects_per_image', 'objects per image')):
        stats = [_mean_std([_float(r[key]) for r in selections if r['strategy'] == s])
                 for s in names]
        ax.bar(range(len(names)), [m for m, _, _ in stats], yerr=[sd for _, sd, _ in stats],
               capsize=3)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, axis='y')
    axes[1].set_xticks(range(len(names)))
    axes[1].set_xticklabels(names, rotation=45, ha='right', fontsize=8)
    _save(fig, path)
    plt.close(fig)


def write_report(work_dir: str, results_csv: str = 'al_results.csv',
                 selections_csv: str = 'al_selections.csv') -> Dict[str, str]:
    """Write the tables and figures from the CSVs under ``work_dir``; returns their paths."""
    rows = _read(osp.join(work_dir, results_csv))
    if not rows:
        raise FileNotFoundError(f'{osp.join(work_dir, results_csv)}: no results to report '
                                '(run tools/active_learning.py first)')
    selections = _read(osp.join(work_dir, selections_csv))
    paths = {k: osp.join(work_dir, v) for k, v in dict(
        table_md='al_table.md', table_csv='al_table.csv', metric_vs_n='al_metric_vs_n.png',
        beta='al_beta.png', selected_sets='al_selected_sets.png').items()}
    md, text = table(rows)
    write_text_atomic(md, paths['table_md'])
    write_text_atomic(text, paths['table_csv'])
    plot_metric_vs_n(rows, paths['metric_vs_n'])
    plot_beta(rows, paths['beta'])
    plot_selected_sets(selections, paths['selected_sets'])
    return {k: p for k, p in paths.items() if osp.isfile(p)}
