"""Error types for bad input (kept here for old imports); they live in
:mod:`mmsegsup.formats.errors`, the bottom layer's one error type for bad files."""
from ..formats.errors import (DatasetFormatError, DavisFileNotFoundError, DavisFormatError,
                              FormatError, MissingFileError)

__all__ = ['DatasetFormatError', 'DavisFileNotFoundError', 'DavisFormatError', 'FormatError',
           'MissingFileError']
