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

The thesis's published checkpoints also pickle their training arguments (``args.pkl``: an
``argparse.Namespace``, Python 2 protocol 0 or Python 3). :func:`safe_load_namespace` admits
exactly what such a file needs: ``argparse.Namespace`` and the ``copyreg._reconstructor`` call
that protocol 0 uses to create it (checked to build a Namespace from ``object`` and nothing
else), with plain values inside.
"""
import argparse
import copyreg
import io
import os
import pickle
from typing import Any, Dict, NoReturn, Tuple

from .errors import FormatError


class UnsafePickleError(FormatError):
    """The pickle asks for a global (a class or function), which a data pickle never needs."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds plain data only: every global and persistent id is refused.

    Args:
        file: the open binary file.
        source: the name used in error messages (normally the file path).
        encoding: how Python 2 ``str`` objects are decoded (see :func:`safe_load_pickle`).
    """

    def __init__(self, file: io.BufferedIOBase, source: str, encoding: str = 'utf-8',
                 allowed: Dict[Tuple[str, str], Any] = None) -> None:
        super().__init__(file, encoding=encoding)
        self.source = source
        self.allowed = allowed or {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        raise UnsafePickleError(
            f'{self.source}: refused to load the global {module}.{name}; this file may only '
            'hold plain data (lists, dicts, strings, numbers, bools, None), so it is either '
            'not a data pickle or has been tampered with')

    def persistent_load(self, pid: Any) -> NoReturn:
        raise UnsafePickleError(
            f'{self.source}: refused a persistent id ({type(pid).__name__}); this file may only '
            'hold plain data')


def _namespace_reconstructor(cls: Any, base: Any, state: Any) -> argparse.Namespace:
    """``copyreg._reconstructor`` as protocol 0 calls it for a Namespace, and for nothing else."""
    if cls is not argparse.Namespace or base is not object or state is not None:
        raise UnsafePickleError('refused copyreg._reconstructor for anything but '
                                'argparse.Namespace from object')
    return copyreg._reconstructor(cls, base, state)


# Globals an ``args.pkl`` may name, under their Python 3 and Python 2 module names (protocols
# 0-2 write the Python 2 names; ``find_class`` sees them before any mapping).
NAMESPACE_GLOBALS: Dict[Tuple[str, str], Any] = {
    ('argparse', 'Namespace'): argparse.Namespace,
    ('copyreg', '_reconstructor'): _namespace_reconstructor,
    ('copy_reg', '_reconstructor'): _namespace_reconstructor,
    ('builtins', 'object'): object,
    ('__builtin__', 'object'): object,
}


def _load(data: bytes, source: str, encoding: str, allowed: Dict = None) -> Any:
    return SafeUnpickler(io.BytesIO(data), source, encoding=encoding, allowed=allowed).load()


def safe_load_pickle(path: str, allowed: Dict[Tuple[str, str], Any] = None) -> Any:
    """The plain data held by the pickle at ``path`` (any protocol, Python 2 files included).

    ``allowed`` maps the few ``(module, name)`` globals a file may name to what they load as
    (default: none).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafePickleError: the file asks for a global (a class or a callable); nothing was run.
        FormatError: the file is not a readable pickle (truncated, corrupt, other data).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'pickle file {path} not found')
    with open(path, 'rb') as f:
        data = f.read()
    try:
        try:
            return _load(data, path, 'utf-8', allowed)
        except UnicodeDecodeError:  # Python 2 str bytes that are not UTF-8
            return _load(data, path, 'latin1', allowed)
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError) as err:
        raise FormatError(f'{path}: not a readable pickle ({type(err).__name__}: '
                          f'{err})') from err


def _plain(value: Any) -> bool:
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return value is None or isinstance(value, (str, bytes, bool, int, float, complex))


def safe_load_namespace(path: str) -> argparse.Namespace:
    """The ``argparse.Namespace`` pickled at ``path`` (an ``args.pkl``), nothing else run.

    Raises:
        FileNotFoundError / UnsafePickleError / FormatError: as :func:`safe_load_pickle`;
        FormatError also when the file holds something other than a Namespace of plain
        values.
    """
    args = safe_load_pickle(path, allowed=NAMESPACE_GLOBALS)
    if not isinstance(args, argparse.Namespace):
        raise FormatError(f'{path}: expected a pickled argparse.Namespace, got '
                          f'{type(args).__name__}')
    bad = [k for k, v in vars(args).items() if not _plain(v)]
    if bad:
        raise FormatError(f'{path}: argument(s) {bad} hold non-plain values')
    return args
