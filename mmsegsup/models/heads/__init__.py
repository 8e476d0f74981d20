from .rsis_head import RSISHead

__all__ = ['RSISHead']
