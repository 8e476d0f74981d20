from .rsis_head import RSISHead
from .rsis_weak_inference import RSISWeakInferenceHead
from .rvos_head import RVOSHead
from .wrsis_head import WRSISHead

__all__ = ['RSISHead', 'RSISWeakInferenceHead', 'RVOSHead', 'WRSISHead']
