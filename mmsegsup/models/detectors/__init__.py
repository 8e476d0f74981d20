from .rsis import RSIS

__all__ = ['RSIS']
