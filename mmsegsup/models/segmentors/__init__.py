"""mmseg segmentors (importing registers them)."""
from .refvos import RefVOS

__all__ = ['RefVOS']
