from .checks import CheckImageAnnotations

__all__ = ['CheckImageAnnotations']
