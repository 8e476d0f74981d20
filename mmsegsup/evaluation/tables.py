"""Text output shared by the DAVIS and YouTube-VOS evaluators: CSV files and fields in the
official scripts' number format, and the right-aligned tables they print."""
import math
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from ..utils.io import write_text_atomic


def csv_number(value: object) -> str:
    """``%.3f`` as pandas ``to_csv(float_format='%.3f')``; nan becomes an empty field."""
    value = float(value)
    return '' if math.isnan(value) else '%.3f' % value


def csv_field(text: str) -> str:
    """``text`` quoted as the csv module would, when it holds a separator or a quote."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(path: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Write a CSV of already formatted cells (:func:`csv_number`, :func:`csv_field`)
    atomically; returns ``path``."""
    lines = [','.join(header)] + [','.join(row) for row in rows]
    write_text_atomic('\n'.join(lines) + '\n', path)
    return path


def write_result_csvs(result: dict, out_dir: str, split: Optional[str],
                      global_columns: Sequence[str], table: str, columns: Sequence[str],
                      rows: Sequence[Sequence[str]]) -> Tuple[str, str]:
    """The two CSVs of both evaluators: ``global_results-<split>.csv`` (one row of
    ``result``'s ``global_columns``) and ``<table>_results-<split>.csv`` (``rows``);
    ``split`` defaults to ``result['split']``. Returns both paths."""
    split = split or str(result['split'])
    return (write_csv(osp.join(out_dir, f'global_results-{split}.csv'), global_columns,
                      [[csv_number(result[c]) for c in global_columns]]),
            write_csv(osp.join(out_dir, f'{table}_results-{split}.csv'), columns, rows))


def table_number(value: object) -> str:
    """A number of a printed table: ``%.3f``, nan as ``nan``."""
    return csv_number(value) or 'nan'


def global_table(result: dict, columns: Sequence[str], title: str) -> List[str]:
    """The printed global results: ``title`` and a one-row table of ``result``'s ``columns``."""
    return [title, text_table(columns, [[table_number(result[c]) for c in columns]])]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns right-aligned to their widest cell, one space apart."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    out = [' '.join(h.rjust(w) for h, w in zip(header, widths))]
    out += [' '.join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return '\n'.join(out)
