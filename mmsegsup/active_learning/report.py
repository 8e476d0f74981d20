"""Reports of the active-learning loop: tables 5.2 / 5.3 and figs. 5.5-5.7 of the thesis.

From ``al_results.csv`` (one row per seed, strategy and round) and ``al_selections.csv`` (the
selected subsets' statistics) under a work folder:

* ``al_table.md`` / ``al_table.csv``: the metric per strategy (rows) and number of strongly
  labeled images (columns) as mean ± standard error over seeds (the CSV also has the std);
  each strategy against random paired by seed (every strategy of a seed starts from the same
  round-0 model, so the per-seed difference removes that model's luck: mean difference ±
  standard error, seeds won, paired t-test p); the calibration of the IoU branch (and of the
  cross-fitted branches) on the pool: MAE and rank correlation against the oracle, next to the
  MAE of predicting the mean IoU; and, where the selections carry them, the annotation time
  of the selected images drawn from scratch and corrected from the pre-filled masks;
* ``al_metric_vs_n.png``: the metric against the number of strong images, one line per strategy
  (error bars: standard error over seeds);
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
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..utils.io import write_text_atomic

nan = float('nan')

# calibration columns of al_results.csv (the loop's) and their table headers
CALIBRATION = ('iou_mae', 'iou_spearman', 'crossfit_mae', 'crossfit_spearman',
               'mean_baseline_mae')
CALIBRATION_NAMES = dict(iou_mae='branch MAE', iou_spearman='branch rank corr.',
                         crossfit_mae='cross-fitted MAE',
                         crossfit_spearman='cross-fitted rank corr.',
                         mean_baseline_mae='mean-IoU MAE')

BETA = re.compile(r'^(oracle-|crossfit-)?beta([0-9.]+)$')
# the curves of the beta figure: name prefix -> label
BETA_CURVES = {'': 'predicted IoU (freeze-then-train)',
               'crossfit-': 'predicted IoU (cross-fitted)', 'oracle-': 'oracle IoU'}


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


def _sem(values: List[float]) -> float:
    """Standard error of the mean (sample std, ddof=1); nan below two values."""
    arr = np.array([v for v in values if not np.isnan(v)], dtype=np.float64)
    return float(arr.std(ddof=1) / np.sqrt(len(arr))) if len(arr) > 1 else float('nan')


def _groups(rows: List[dict], key: str) -> Dict[Tuple[str, int], Dict[str, float]]:
    """``(strategy, num_labeled) -> {seed: value}``."""
    groups: Dict[Tuple[str, int], Dict[str, float]] = defaultdict(dict)
    for r in rows:
        groups[(r['strategy'], int(r['num_labeled']))][str(r['seed'])] = _float(r[key])
    return groups


def summarize(rows: List[dict], key: str = 'score') -> Dict[Tuple[str, int], Tuple]:
    """``(strategy, num_labeled) -> (mean, std, seeds, standard error)`` of ``key`` over
    seeds."""
    return {k: _mean_std(list(v.values())) + (_sem(list(v.values())), )
            for k, v in sorted(_groups(rows, key).items())}


def paired(rows: List[dict], baseline: str = 'random',
           key: str = 'score') -> Dict[Tuple[str, int], Tuple]:
    """``(strategy, num_labeled) -> (mean difference, standard error, seeds won, seeds,
    paired t-test p)`` of each strategy minus ``baseline`` over the seeds both have."""
    from scipy.stats import ttest_rel
    groups = _groups(rows, key)
    out = {}
    for (s, n), values in sorted(groups.items()):
        base = groups.get((baseline, n), {})
        seeds = sorted(set(values) & set(base))
        if s == baseline or not seeds:
            continue
        a = np.array([values[k] for k in seeds])
        b = np.array([base[k] for k in seeds])
        if np.array_equal(a, b):  # the round-0 model every strategy of a seed shares
            continue
        spread = np.std(a - b) > 1e-12 * max(1.0, float(np.abs(a - b).max()))
        p = float(ttest_rel(a, b).pvalue) if len(seeds) > 1 and spread else float('nan')
        out[(s, n)] = (float((a - b).mean()), _sem(list(a - b)), int((a > b).sum()),
                       len(seeds), p)
    return out


def _order(strategies) -> List[str]:
    def key(name):
        m = BETA.match(name)
        return (1 if m else 0, (m.group(1) or '') if m else '', float(m.group(2)) if m else 0,
                name)
    return sorted(set(strategies), key=key)


def table(rows: List[dict], selections: Sequence[dict] = ()) -> Tuple[str, str]:
    """Markdown and CSV text of the mean ± standard error table (and the paired, calibration
    and annotation-time tables in the markdown)."""
    stats = summarize(rows)
    calib = {key: summarize(rows, key) for key in CALIBRATION if rows and key in rows[0]}
    mae = calib.get('iou_mae', {})
    base = calib.get('mean_baseline_mae', {})
    sizes = sorted({n for _, n in stats})
    metric = rows[0]['metric'] if rows else 'metric'
    md = [f'{metric} (mean ± standard error over seeds) by number of strongly labeled images',
          '',
          '| strategy | ' + ' | '.join(str(n) for n in sizes) + ' |',
          '|---|' + '---|' * len(sizes)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(['strategy', 'num_labeled', 'mean', 'std', 'sem', 'seeds', 'iou_mae',
                     'mean_baseline_mae'])
    for s in _order(k[0] for k in stats):
        cells = []
        for n in sizes:
            if (s, n) in stats:
                m, sd, k, se = stats[(s, n)]
                cells.append(f'{m:.4f} ± {se:.4f}' if k > 1 else f'{m:.4f}')
                writer.writerow([s, n, m, sd, se, k, mae.get((s, n), (nan, ))[0],
                                 base.get((s, n), (nan, ))[0]])
            else:
                cells.append('')
        md.append(f'| {s} | ' + ' | '.join(cells) + ' |')
    md += _paired_md(rows, sizes)
    md += ['', 'IoU prediction on the unlabeled pool after each round, against the oracle '
           '(mean ± std over seeds): MAE and Spearman rank correlation of the annotator\'s '
           'IoU branch (freeze-then-train) and of the cross-fitted branches, and the MAE of '
           'predicting the mean IoU for every image', '',
           '| strategy | labeled | ' + ' | '.join(CALIBRATION_NAMES[k] for k in CALIBRATION
                                                  if k in calib) + ' |',
           '|---|---|' + '---|' * len(calib)]
    keys = {k for values in calib.values() for k, v in values.items() if v[2]}
    names = _order(s for s, _ in keys)
    for key in sorted(keys, key=lambda k: (names.index(k[0]), k[1])):
        cells = [_cell(calib[c].get(key)) for c in CALIBRATION if c in calib]
        md.append(f'| {key[0]} | {key[1]} | ' + ' | '.join(cells) + ' |')
    md += _annotation_time_md(selections)
    return '\n'.join(md) + '\n', out.getvalue()


def _paired_md(rows: List[dict], sizes: List[int]) -> List[str]:
    diffs = paired(rows)
    sizes = [n for n in sizes if any(k[1] == n for k in diffs)]
    if not sizes:
        return []
    md = ['', 'Against random, paired by seed: mean difference ± standard error, seeds won / '
          'seeds, paired t-test p', '',
          '| strategy | ' + ' | '.join(str(n) for n in sizes) + ' |',
          '|---|' + '---|' * len(sizes)]
    for s in _order(k[0] for k in diffs):
        cells = []
        for n in sizes:
            d = diffs.get((s, n))
            cells.append('' if d is None else
                         f'{d[0]:+.4f} ± {d[1]:.4f}, {d[2]}/{d[3]}, p {d[4]:.3f}')
        md.append(f'| {s} | ' + ' | '.join(cells) + ' |')
    return md


def _annotation_time_md(selections: Sequence[dict]) -> List[str]:
    """Annotation time of the selected images (budget model), mean over seeds."""
    keys = ('annotation_s_scratch', 'annotation_s_prefilled')
    rows = [r for r in selections if all(not np.isnan(_float(r.get(k))) for k in keys)]
    if not rows:
        return []
    md = ['', 'Annotating the selected images (budget model, days of 86400 s; mean over seeds): '
          'drawn from scratch, corrected from the pre-filled masks, saved', '',
          '| strategy | round | selected | from scratch | pre-filled | saved |',
          '|---|---|---|---|---|---|']
    groups = defaultdict(list)
    for r in rows:
        groups[(r['strategy'], int(r['round']))].append(r)
    names = _order(s for s, _ in groups)
    for (s, rnd) in sorted(groups, key=lambda k: (names.index(k[0]), k[1])):
        got = groups[(s, rnd)]
        scratch, pre = (float(np.mean([_float(r[k]) for r in got])) for k in keys)
        saved = f'{100 * (1 - pre / scratch):.0f} %' if scratch > 0 else ''
        md.append(f"| {s} | {rnd} | {got[0].get('num_selected', '')} | "
                  f'{scratch / 86400:.4f} | {pre / 86400:.4f} | {saved} |')
    return md


def _cell(stat) -> str:
    if stat is None or not stat[2]:
        return ''
    return f'{stat[0]:.3f} ± {stat[1]:.3f}'


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
        pts = sorted((n, m, se) for (name, n), (m, _, _, se) in stats.items() if name == s)
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
        for prefix, label in BETA_CURVES.items():
            pts = sorted((float(BETA.match(s).group(2)), m, se)
                         for (s, k), (m, _, _, se) in stats.items()
                         if k == n and BETA.match(s) and (BETA.match(s).group(1) or '') == prefix)
            if pts:
                b, m, sd = map(np.array, zip(*pts))
                ax.plot(b, m, marker='o', label=label)
                ax.fill_between(b, m - sd, m + sd, alpha=0.2)
        for s in ('random', 'mc-dropout-highest', 'mc-dropout-lowest'):
            if (s, n) in stats:
                m, _, _, sd = stats[(s, n)]
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
    md, text = table(rows, selections)
    write_text_atomic(md, paths['table_md'])
    write_text_atomic(text, paths['table_csv'])
    plot_metric_vs_n(rows, paths['metric_vs_n'])
    plot_beta(rows, paths['beta'])
    plot_selected_sets(selections, paths['selected_sets'])
    return {k: p for k, p in paths.items() if osp.isfile(p)}
