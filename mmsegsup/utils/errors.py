"""Error types for bad input; messages always name the offending file and what was expected."""


class DatasetFormatError(ValueError):
    """A dataset file exists but does not hold what its format promises."""
