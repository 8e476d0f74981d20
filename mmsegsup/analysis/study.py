"""How a referring model does by expression category, difficulty and information level
(thesis section 6.5.2: the trivial / non-trivial comparison, tables 6.6 and 6.7).

Input: the per-expression rows of ``ReferringMetric(csv_file=...)`` read by
``load_referring_results_csv`` (``expr_id, video, num_frames, iou, mean_frame_iou, trivial,
intersection, union``). One row is one expression over its annotated frames. For a group of
rows:

* overall IoU = sum of intersections / sum of unions (the cumulative IoU of the referring
  literature; needs the ``intersection`` / ``union`` columns, else it is nan);
* mean IoU = mean over the group's *samples*: ``mean_over='frame'`` (default) weighs each
  expression's ``mean_frame_iou`` by its ``num_frames``, which is the A2D protocol's mean IoU
  and the ``mean_iou`` that ``ReferringMetric`` logs for the same samples (table 6.5 and the
  "Full phrase / All" cell of table 6.7 agree in the thesis); ``mean_over='expression'``
  averages the per-expression ``iou`` instead (each referent weighs the same). Both are equal
  for still images (one frame per expression).

Values are fractions in [0, 1] in Python and percentages in the written tables (Markdown
with 2 decimals as the thesis's tables; CSV unrounded, columns suffixed ``_pct``).
Variant expressions (:mod:`.variants`) carry ids ``"<expr_id>#<level>"``; :func:`split_levels`
undoes that for table 6.7 and for the A2Dre+ with/without table (levels ``appearance+`` ...).
"""
import csv
import io
import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ..formats.errors import FormatError
from ..formats.json_files import some_ids
from ..formats.re_categories import (MAJOR_CATEGORIES, REAnnotation, category_set,
                                     normalize_category)
from ..utils.io import write_text_atomic
from .categories import CATEGORY_TITLES
from .tagger import TagResult

Row = Mapping[str, object]
MEAN_OVER = ('frame', 'expression')
SUBSETS = ('trivial', 'non_trivial', 'all')
SUBSET_TITLES = {'trivial': 'Trivial', 'non_trivial': 'Non-Trivial', 'all': 'All'}
LEVEL_SEPARATOR = '#'
Categories = Union[REAnnotation, TagResult, Iterable[str]]


@dataclass(frozen=True)
class GroupScore:
    """Scores of a group of expressions (fractions; nan when the group is empty)."""
    expressions: int
    frames: int
    overall_iou: float
    mean_iou: float


@dataclass(frozen=True)
class CategoryEffect:
    """Table 6.6, one category: expressions with (+) and without (-) it."""
    category: str
    present: GroupScore
    absent: GroupScore


@dataclass(frozen=True)
class LevelScore:
    """Table 6.7, one information level: trivial, non-trivial and all expressions."""
    level: str
    title: str
    trivial: GroupScore
    non_trivial: GroupScore
    all: GroupScore


# ---- scores ----------------------------------------------------------------------------------

def _check_mean_over(mean_over: str) -> None:
    if mean_over not in MEAN_OVER:
        raise ValueError(f"mean_over must be 'frame' or 'expression', got {mean_over!r}")


def _number(row: Row, key: str, kind: type) -> Optional[float]:
    value = row.get(key)
    if value is None or value == '':
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f'expression {row.get("expr_id")!r}: {key} must be a number, got '
                         f'{value!r}') from None


def group_score(rows: Sequence[Row], mean_over: str = 'frame') -> GroupScore:
    """Overall and mean IoU of ``rows`` (module docstring); nan for no rows, overall IoU nan
    when a row lacks ``intersection`` / ``union``."""
    _check_mean_over(mean_over)
    rows = list(rows)
    if not rows:
        return GroupScore(0, 0, math.nan, math.nan)
    frames = [_number(r, 'num_frames', int) for r in rows]
    if any(f is None or f < 1 for f in frames):
        raise ValueError('every row needs num_frames >= 1')
    inter = [_number(r, 'intersection', int) for r in rows]
    union = [_number(r, 'union', int) for r in rows]
    if any(v is None for v in inter + union):
        overall = math.nan
    else:
        overall = 1.0 if sum(union) == 0 else sum(inter) / sum(union)
    if mean_over == 'frame':
        values = [_number(r, 'mean_frame_iou', float) for r in rows]
        mean = sum(v * f for v, f in zip(values, frames)) / sum(frames)
    else:
        mean = sum(_number(r, 'iou', float) for r in rows) / len(rows)
    return GroupScore(len(rows), sum(frames), overall, mean)


def trivial_split(rows: Sequence[Row], mean_over: str = 'frame') -> Dict[str, GroupScore]:
    """Scores of the trivial, non-trivial and all expressions (section 6.5.2: 48.7 vs 46.2 on
    DAVIS-2017, 53.9 vs 33.2 on A2D); rows of unknown triviality count in ``all`` only."""
    return {'trivial': group_score([r for r in rows if r.get('trivial') is True], mean_over),
            'non_trivial': group_score([r for r in rows if r.get('trivial') is False],
                                       mean_over),
            'all': group_score(rows, mean_over)}


# ---- categories (table 6.6) ------------------------------------------------------------------

def join_categories(rows: Sequence[Row], categories: Mapping[str, Categories],
                    results_file: str = 'the results', on_missing: str = 'error'
                    ) -> List[dict]:
    """The result rows with a ``categories`` field (a frozenset) from ``expr_id ->``
    ``REAnnotation`` / ``TagResult`` / category names.

    A row whose ``expr_id`` has no categories raises ``FormatError`` naming
    ``results_file`` and some such ids (``on_missing='error'``), or is left out
    (``on_missing='skip'``: A2Dre annotates only the non-trivial part of A2D's test set).
    Annotations of expressions that have no row are ignored.
    """
    if on_missing not in ('error', 'skip'):
        raise ValueError(f"on_missing must be 'error' or 'skip', got {on_missing!r}")
    unknown = [str(r.get('expr_id')) for r in rows if str(r.get('expr_id')) not in categories]
    if unknown and on_missing == 'error':
        raise FormatError(
            f'{results_file}: {len(unknown)} of {len(rows)} expression(s) have no categories '
            f'({some_ids(unknown)}); the results and the category files must come from the same '
            f'expressions (or keep only the annotated ones)')
    return [dict(r, categories=category_set(categories[str(r['expr_id'])], str(r['expr_id'])))
            for r in rows if str(r.get('expr_id')) in categories]


def category_effect(joined: Sequence[Row], categories: Sequence[str] = MAJOR_CATEGORIES,
                    mean_over: str = 'frame') -> List[CategoryEffect]:
    """Table 6.6: per category the scores of the expressions with and without it, from the
    rows of :func:`join_categories`."""
    out = []
    for name in categories:
        cat = normalize_category(name)
        present = [r for r in joined if cat in r['categories']]
        absent = [r for r in joined if cat not in r['categories']]
        out.append(CategoryEffect(cat, group_score(present, mean_over),
                                  group_score(absent, mean_over)))
    return out


# ---- variant levels (table 6.7, A2Dre+) ------------------------------------------------------

def split_levels(rows: Sequence[Row], results_file: str = 'the results'
                 ) -> Dict[str, List[dict]]:
    """``level -> rows`` (with the original ``expr_id``) from rows of variant expressions,
    whose ids are ``"<expr_id>#<level>"`` (the last ``#`` splits; levels in first-seen order)."""
    out: Dict[str, List[dict]] = {}
    bad = []
    for r in rows:
        expr_id = str(r.get('expr_id'))
        base, sep, level = expr_id.rpartition(LEVEL_SEPARATOR)
        if not sep or not base or not level:
            bad.append(expr_id)
            continue
        out.setdefault(level, []).append(dict(r, expr_id=base, level=level))
    if bad:
        raise FormatError(f'{results_file}: {len(bad)} expression id(s) are not of the '
                          f'form "<expr_id>#<level>" ({some_ids(bad)}); expected the '
                          f'results of a ReferringVariantsDataset run')
    return out


def information_levels(rows_by_level: Mapping[str, Sequence[Row]],
                       levels: Optional[Sequence[str]] = None,
                       titles: Optional[Mapping[str, str]] = None,
                       mean_over: str = 'frame') -> List[LevelScore]:
    """Table 6.7: trivial / non-trivial / all scores per level, in ``levels`` order (default:
    that of ``rows_by_level``); a requested level without rows raises ``ValueError``."""
    levels = list(rows_by_level) if levels is None else list(levels)
    missing = [lv for lv in levels if lv not in rows_by_level]
    if missing:
        raise ValueError(f'no results for level(s) {", ".join(missing)} (have '
                         f'{", ".join(rows_by_level) or "none"})')
    titles = titles or {}
    out = []
    for level in levels:
        split = trivial_split(rows_by_level[level], mean_over)
        out.append(LevelScore(level, titles.get(level, level), split['trivial'],
                              split['non_trivial'], split['all']))
    return out


def augmented_effect(rows_by_level: Mapping[str, Sequence[Row]],
                     categories: Optional[Sequence[str]] = None,
                     mean_over: str = 'frame') -> List[CategoryEffect]:
    """Table 6.6 on A2Dre+-style augmented expressions: per category, the scores of level
    ``"<category>+"`` (expressions with it) and ``"<category>-"`` (without). By default every
    category that has such levels, in first-seen order."""
    if categories is None:
        categories = list(dict.fromkeys(lv[:-1] for lv in rows_by_level
                                        if lv.endswith(('+', '-'))))
    if not categories:
        raise ValueError(f'no "<category>+" / "<category>-" levels among '
                         f'{", ".join(rows_by_level) or "none"}')
    out = []
    for name in categories:
        cat = normalize_category(name)
        out.append(CategoryEffect(cat, group_score(rows_by_level.get(cat + '+', []), mean_over),
                                  group_score(rows_by_level.get(cat + '-', []), mean_over)))
    return out


# ---- tables ----------------------------------------------------------------------------------

Table = Tuple[List[str], List[List[object]]]


def _pct(value: float, digits: Optional[int]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '' if digits is None else '-'
    return repr(100.0 * value) if digits is None else f'{100.0 * value:.{digits}f}'


def _cell(value: object, digits: Optional[int]) -> str:
    if isinstance(value, float):
        return _pct(value, digits)
    return '' if value is None else str(value)


def markdown_table(table: Table, digits: int = 2) -> str:
    """A Markdown table; float cells are fractions shown as percentages."""
    headers, rows = table
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '|'.join('---' for _ in headers) + '|']
    lines += ['| ' + ' | '.join(_cell(c, digits) for c in row) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'


def csv_table(table: Table) -> str:
    """CSV text; float cells are fractions written as unrounded percentages (empty: nan)."""
    headers, rows = table
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(c, None) for c in row])
    return buf.getvalue()


def _score_cells(s: GroupScore) -> List[object]:
    return [s.expressions, s.frames, s.overall_iou, s.mean_iou]


def trivial_table(split: Mapping[str, GroupScore]) -> Tuple[Table, Table]:
    """(Markdown, CSV) tables of :func:`trivial_split`."""
    rows = [[SUBSET_TITLES[k]] + _score_cells(split[k]) for k in SUBSETS]
    md = (['subset', 'expressions', 'frames', 'overall IoU', 'mean IoU'], rows)
    csv_rows = [[k] + _score_cells(split[k]) for k in SUBSETS]
    return md, (['subset', 'expressions', 'frames', 'overall_iou_pct', 'mean_iou_pct'],
                csv_rows)


def category_effect_table(effects: Sequence[CategoryEffect]) -> Tuple[Table, Table]:
    """(Markdown, CSV) tables of table 6.6: one line per category, + then - columns and the
    difference of mean IoU (+ minus -)."""
    md_rows, csv_rows = [], []
    for e in effects:
        diff = e.present.mean_iou - e.absent.mean_iou
        md_rows.append([CATEGORY_TITLES.get(e.category, e.category),
                        e.present.expressions, e.present.mean_iou, e.present.overall_iou,
                        e.absent.expressions, e.absent.mean_iou, e.absent.overall_iou, diff])
        csv_rows.append([e.category] + _score_cells(e.present) + _score_cells(e.absent) +
                        [diff])
    md = (['category', 'n (+)', 'mean IoU (+)', 'overall IoU (+)', 'n (-)', 'mean IoU (-)',
           'overall IoU (-)', 'mean IoU (+) - (-)'], md_rows)
    heads = ['category'] + [f'{k}_{s}' for s in ('with', 'without')
                            for k in ('expressions', 'frames', 'overall_iou_pct',
                                      'mean_iou_pct')] + ['mean_iou_diff_pct']
    return md, (heads, csv_rows)


def information_level_table(scores: Sequence[LevelScore]) -> Tuple[Table, Table]:
    """(Markdown, CSV) tables of table 6.7: overall IoU then mean IoU, each for trivial,
    non-trivial and all expressions."""
    md_rows, csv_rows = [], []
    for s in scores:
        groups = (s.trivial, s.non_trivial, s.all)
        md_rows.append([s.title] + [g.overall_iou for g in groups] +
                       [g.mean_iou for g in groups] + [s.all.expressions])
        csv_rows.append([s.level] + [c for g in groups for c in _score_cells(g)])
    md = (['level'] + [f'overall IoU {SUBSET_TITLES[k]}' for k in SUBSETS] +
          [f'mean IoU {SUBSET_TITLES[k]}' for k in SUBSETS] + ['expressions'], md_rows)
    heads = ['level'] + [f'{k}_{f}' for k in SUBSETS
                         for f in ('expressions', 'frames', 'overall_iou_pct', 'mean_iou_pct')]
    return md, (heads, csv_rows)


def kappa_table(kappas: Mapping[str, float]) -> Tuple[Table, Table]:
    """(Markdown, CSV) tables of per-category Fleiss' kappas (plain numbers, not percent)."""
    md_rows = [[CATEGORY_TITLES.get(c, c), '-' if math.isnan(k) else f'{k:.3f}']
               for c, k in kappas.items()]
    csv_rows = [[c, '' if math.isnan(k) else repr(float(k))] for c, k in kappas.items()]
    return (['category', 'kappa'], md_rows), (['category', 'kappa'], csv_rows)


def write_tables(tables: Tuple[Table, Table], md_path: Optional[str] = None,
                 csv_path: Optional[str] = None, title: str = '') -> str:
    """Write the Markdown and/or CSV form of a (Markdown, CSV) pair atomically; returns the
    Markdown text (with ``title`` as a heading when given)."""
    md = (f'### {title}\n\n' if title else '') + markdown_table(tables[0])
    if md_path:
        write_text_atomic(md, md_path)
    if csv_path:
        write_text_atomic(csv_table(tables[1]), csv_path)
    return md
