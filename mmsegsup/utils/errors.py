"""Error types for bad input; messages always name the offending file and what was expected."""


class DatasetFormatError(ValueError):
    """A dataset file exists but does not hold what its format promises."""


class DavisFileNotFoundError(FileNotFoundError):
    """A file or folder a DAVIS / YouTube-VOS reader needs is missing; the message names it."""


class DavisFormatError(DatasetFormatError):
    """A DAVIS / YouTube-VOS annotation, meta or result file is not what the protocol expects."""
