"""mmsegsup: OpenMMLab plugins for segmentation with little supervision.

``import mmsegsup`` is light: it creates our registries (children of mmdet's and mmseg's, see
:mod:`mmsegsup.registry`) and allow-lists MMEngine's checkpoint globals. Models, datasets,
metrics and hooks load from the registries' ``locations`` when a config first builds one, which
is what ``custom_imports=dict(imports=['mmsegsup'])`` relies on.
"""
from . import registry  # noqa: F401  (registry nodes for the mmsegsup / mmsegsup_seg scopes)
from .utils.checkpoint import allow_mmengine_checkpoint_globals
from .version import __version__

allow_mmengine_checkpoint_globals()

__all__ = ['__version__']
