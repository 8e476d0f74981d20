"""Load data pickles (the refer ``refs(*).p`` files) without letting them run code.

A pickle is a program: ``GLOBAL``/``STACK_GLOBAL`` opcodes import any callable and ``REDUCE``
calls it, so ``pickle.load`` on a downloaded file can run anything. The refer annotations are
only lists and dicts of ids and sentences, which the unpickler builds from its own opcodes
without importing a single name. :class:`SafeUnpickler` therefore refuses every global (and
persistent ids), so nothing beyond plain containers, strings, bytes, numbers, bools and None can
come out of a file, and no code can run while reading it.

The refer pickles were written by Python 2 (protocol 2), where ``str`` is bytes: those are
decoded as UTF-8 text (ASCII, the usual content, is a subset), falling back to Latin-1 for
files whose bytes are not UTF-8, so that every Python 2 string comes back as ``str``.
"""
import io
import os
import pickle
from typing import Any, NoReturn

from .errors import DatasetFormatError


class UnsafePickleError(DatasetFormatError):
    """The pickle asks for a global (a class or function), which a data pickle never needs."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds plain data only: every global and persistent id is refused.

    Args:
        file: the open binary file.
        source: the name used in error messages (normally the file path).
        encoding: how Python 2 ``str`` objects are decoded (see :func:`safe_load_pickle`).
    """

    def __init__(self, file: io.BufferedIOBase, source: str, encoding: str = 'utf-8') -> None:
        super().__init__(file, encoding=encoding)
        self.source = source

    def find_class(self, module: str, name: str) -> NoReturn:
        raise UnsafePickleError(
            f'{self.source}: refused to load the global {module}.{name}; this file may only '
            'hold plain data (lists, dicts, strings, numbers, bools, None), so it is either '
            'not a data pickle or has been tampered with')

    def persistent_load(self, pid: Any) -> NoReturn:
        raise UnsafePickleError(
            f'{self.source}: refused a persistent id ({type(pid).__name__}); this file may only '
            'hold plain data')


def _load(data: bytes, source: str, encoding: str) -> Any:
    return SafeUnpickler(io.BytesIO(data), source, encoding=encoding).load()


def safe_load_pickle(path: str) -> Any:
    """The plain data held by the pickle at ``path`` (any protocol, Python 2 files included).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: the file asks for a global (a class or a callable); nothing was run.
        DatasetFormatError: the file is not a readable pickle (truncated, corrupt, other data).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'pickle file {path} not found')
    with open(path, 'rb') as f:
        data = f.read()
    try:
        try:
            return _load(data, path, 'utf-8')
        except UnicodeDecodeError:  # Python 2 str bytes that are not UTF-8
            return _load(data, path, 'latin1')
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError) as err:
        raise DatasetFormatError(f'{path}: not a readable pickle ({type(err).__name__}: '
                                 f'{err})') from err
