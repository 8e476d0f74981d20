"""mmsegsup: OpenMMLab plugins for segmentation with little supervision.

``import mmsegsup`` registers every model, dataset, metric and hook into the mmdet / mmseg /
mmengine registries, which is what ``custom_imports=dict(imports=['mmsegsup'])`` relies on.
"""
from .version import __version__
from .utils.checkpoint import allow_mmengine_checkpoint_globals
from . import analysis, datasets, engine, evaluation, models  # noqa: F401  (registration)

allow_mmengine_checkpoint_globals()

__all__ = ['__version__']
