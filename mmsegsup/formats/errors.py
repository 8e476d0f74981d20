"""The one error type for bad files: every reader of the format layer raises it.

The message names the file and what was expected. A missing file raises
:class:`MissingFileError`, which is both a :class:`FormatError` (one ``except`` catches every
bad-input case) and a :class:`FileNotFoundError` (what Python code expects of a missing file).
"""
from typing import Optional


class FormatError(ValueError):
    """A file does not hold what its format promises (``path``: the file, when known)."""

    def __init__(self, message: str, path: Optional[str] = None) -> None:
        super().__init__(message)
        self.path = path


class MissingFileError(FormatError, FileNotFoundError):
    """A file or folder a reader needs does not exist; the message names it."""


class DavisFormatError(FormatError):
    """A DAVIS / YouTube-VOS annotation, meta or result file is not what the protocol expects."""


class DavisFileNotFoundError(MissingFileError):
    """A file or folder a DAVIS / YouTube-VOS reader needs is missing."""
