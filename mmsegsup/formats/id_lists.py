"""Text files that list ids, one a line: VOC / SBD image lists, DAVIS ``ImageSets`` video
lists, YouTube-VOS split lists, A2D's list of missed videos."""
import os.path as osp
from typing import List

from .errors import MissingFileError


def read_id_list(path: str, what: str = 'id list') -> List[str]:
    """The ids of ``path`` in file order: the first token of each line, blank lines skipped
    (``what`` names the file's role in the message when it is missing)."""
    if not osp.isfile(path):
        raise MissingFileError(f'{what} not found: {path}', path)
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]
