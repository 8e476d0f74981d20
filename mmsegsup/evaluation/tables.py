"""Text output shared by the DAVIS and YouTube-VOS evaluators: CSV fields in the official
scripts' number format, and the right-aligned tables they print."""
import math
from typing import Sequence


def csv_number(value: object) -> str:
    """``%.3f`` as pandas ``to_csv(float_format='%.3f')``; nan becomes an empty field."""
    value = float(value)
    return '' if math.isnan(value) else '%.3f' % value


def csv_field(text: str) -> str:
    """``text`` quoted as the csv module would, when it holds a separator or a quote."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns right-aligned to their widest cell, one space apart."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    out = [' '.join(h.rjust(w) for h, w in zip(header, widths))]
    out += [' '.join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return '\n'.join(out)
