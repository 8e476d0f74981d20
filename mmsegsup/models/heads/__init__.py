from .rsis_head import RSISHead
from .rvos_head import RVOSHead

__all__ = ['RSISHead', 'RVOSHead']
