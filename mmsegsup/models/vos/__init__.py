from .rvos import RVOS

__all__ = ['RVOS']
