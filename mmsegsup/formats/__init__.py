"""The bottom layer: file formats and shared vocabularies (palettes, class names, supervision
kinds, weak-label files, YouTube-VOS meta). Modules here import nothing of mmsegsup but
:mod:`mmsegsup.utils`; import them by their module path (this package imports nothing, so
light users such as the budget model stay light)."""
