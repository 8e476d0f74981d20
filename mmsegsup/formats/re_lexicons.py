"""Lexicon files of the referring-expression tagger (:class:`mmsegsup.analysis.tagger.Tagger`):
a JSON or YAML mapping from list names (or category names) to lists of words, e.g.
``{"appearance": ["tartan"], "class_nouns": ["seal"]}``. This module reads and checks the
shape; the tagger checks the names against its lists."""
import json
import os.path as osp
from typing import Dict, List

from .errors import FormatError, MissingFileError


def _parse(path: str) -> object:
    """The document of a ``.json`` / ``.yaml`` / ``.yml`` file (YAML imported only for YAML)."""
    ext = osp.splitext(path)[1].lower()
    try:
        with open(path, encoding='utf-8') as f:
            if ext == '.json':
                return json.load(f)
            if ext in ('.yaml', '.yml'):
                import yaml
                return yaml.safe_load(f)
            raise ValueError(f'{path}: lexicon files end in .json, .yaml or .yml')
    except (json.JSONDecodeError, ImportError) as e:
        raise FormatError(f'{path}: cannot read the lexicon ({e})', path) from None
    except Exception as e:  # yaml.YAMLError without importing yaml up front
        if type(e).__module__.startswith('yaml'):
            raise FormatError(f'{path}: not valid YAML ({e})', path) from None
        raise


def load_lexicon_file(path: str) -> Dict[str, List[str]]:
    """The ``name -> words`` mapping of a lexicon file, every value a list of strings."""
    if not osp.isfile(path):
        raise MissingFileError(f'lexicon file {path} not found', path)
    data = _parse(path)
    if not isinstance(data, dict):
        raise FormatError(f'{path}: expected a mapping from list names to word lists', path)
    for key, words in data.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise FormatError(f'{path}: entry {key!r} must be a list of strings', path)
    return data
