"""BASIS results: one CSV row per run (N, M, weak type, budget, f and g scores, seed) and the
plot of score against annotation budget (thesis figs. 4.3 and 4.7)."""
import csv
import io
import os.path as osp
from typing import Dict, List, Optional

from ..utils.io import write_bytes_atomic, write_csv_atomic

COLUMNS = ('num_strong', 'num_weak', 'weak_type', 'budget_days', 'metric', 'f_score',
           'g_score', 'seed')
KEY = ('num_strong', 'num_weak', 'weak_type', 'metric', 'seed')


def read_rows(path: str) -> List[Dict[str, str]]:
    if not osp.isfile(path):
        return []
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f'{path}: not a BASIS results file (columns {reader.fieldnames}, '
                             f'expected {list(COLUMNS)})')
        return list(reader)


def upsert_row(path: str, row: Dict[str, object]) -> List[Dict[str, str]]:
    """Add ``row`` to the CSV, replacing a row of the same run (a rerun updates, never
    duplicates); rows stay sorted by budget. Written atomically."""
    rows = read_rows(path)
    new = {k: str(row[k]) for k in COLUMNS}
    rows = [r for r in rows if any(r[k] != new[k] for k in KEY)] + [new]
    rows.sort(key=lambda r: (r['weak_type'], float(r['budget_days']), int(r['seed'])))
    write_csv_atomic(rows, COLUMNS, path)
    return rows


def plot_rows(rows: List[Dict[str, str]], path: str, title: Optional[str] = None) -> None:
    """Score of the annotation network f and the student g against the budget in days, one
    line pair per weak type, seeds averaged (PNG, written atomically)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for weak in sorted({r['weak_type'] for r in rows}):
        mine = [r for r in rows if r['weak_type'] == weak]
        budgets = sorted({float(r['budget_days']) for r in mine})
        for key, style, who in (('f_score', '--o', 'f (strong only)'),
                                ('g_score', '-s', 'g (strong + pseudo)')):
            means = [sum(float(r[key]) for r in mine if float(r['budget_days']) == b) /
                     sum(1 for r in mine if float(r['budget_days']) == b) for b in budgets]
            ax.plot(budgets, means, style, label=f'{who}, weak: {weak}')
    ax.set_xlabel('annotation budget (days)')
    ax.set_ylabel(rows[0]['metric'] if rows else 'score')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format='png', dpi=120)
    plt.close(fig)
    write_bytes_atomic(buf.getvalue(), path)
