"""The referring-expression files of DAVIS-2017 (Khoreva et al., ACCV 2018); the dataset is
:class:`mmsegsup.datasets.DAVISReferDataset`.

The files (relative to the DAVIS-2017 root)::

    davis_text_annotations/Davis17_annot{1,2}.txt              first-frame expressions
    davis_text_annotations/Davis17_annot{1,2}_full_video.txt   full-video expressions

Each expression file line reads ``<video> <obj_id> "<expression>"``: ``obj_id`` is the 1-based
object id, the pixel value of the object in the annotation PNGs, and the expression is the rest
of the line with its enclosing double quotes removed. Annotator 1's files are UTF-8,
annotator 2's are Latin-1 (each file is decoded as UTF-8 first, Latin-1 when that fails).
Three video names are misspelt in the official files and are mapped to the DAVIS folder names:
``clasic-car``, ``dog-scale``, ``motor-bike`` (see ``VIDEO_NAME_FIXES``).

Bad lines raise :class:`~mmsegsup.formats.errors.FormatError` naming the file and line.
"""
import os.path as osp
from typing import List, NamedTuple

from .errors import FormatError, MissingFileError

__all__ = ['VIDEO_NAME_FIXES', 'EXPRESSION_KINDS', 'DAVISExpression', 'davis_expression_file',
           'read_davis_expressions']

VIDEO_NAME_FIXES = {'clasic-car': 'classic-car', 'dog-scale': 'dogs-scale',
                    'motor-bike': 'motorbike'}
EXPRESSION_KINDS = ('first_frame', 'full_video')


class DAVISExpression(NamedTuple):
    """One line of a ``Davis17_annot*.txt`` file (``line`` is 1-based)."""
    line: int
    video: str
    obj_id: int
    text: str


def davis_expression_file(expressions: str, annotator: int) -> str:
    """The official file name of one annotator's first-frame or full-video expressions."""
    if expressions not in EXPRESSION_KINDS:
        raise ValueError(f"expressions must be 'first_frame' or 'full_video', got "
                         f'{expressions!r}')
    if annotator not in (1, 2):
        raise ValueError(f'annotator must be 1 or 2, got {annotator!r}')
    suffix = '_full_video' if expressions == 'full_video' else ''
    return f'Davis17_annot{annotator}{suffix}.txt'


def read_davis_expressions(path: str) -> List[DAVISExpression]:
    """Parse an expression file; video names are corrected by ``VIDEO_NAME_FIXES``."""
    if not osp.isfile(path):
        raise MissingFileError(f'DAVIS expression file {path} not found '
                               f'(davis_text_annotations/Davis17_annot<1|2>[_full_video].txt)',
                               path)
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        text = raw.decode('latin-1')
    expressions, seen = [], {}
    for line, content in enumerate(text.splitlines(), 1):
        if not content.strip():
            continue
        parts = content.split(maxsplit=2)
        if len(parts) < 3 or not parts[1].isdigit() or int(parts[1]) < 1:
            raise FormatError(f'{path}:{line}: expected <video> <object id >= 1> '
                              f'"<expression>", got {content.strip()!r}')
        video = VIDEO_NAME_FIXES.get(parts[0], parts[0])
        sentence = parts[2].strip()
        if len(sentence) >= 2 and sentence[0] == sentence[-1] == '"':
            sentence = sentence[1:-1].strip()
        if not sentence:
            raise FormatError(f'{path}:{line}: empty expression')
        key = (video, int(parts[1]))
        if key in seen:
            raise FormatError(f'{path}:{line}: second expression for object {key[1]} '
                              f'of {video} (first on line {seen[key]})')
        seen[key] = line
        expressions.append(DAVISExpression(line, video, int(parts[1]), sentence))
    return expressions
