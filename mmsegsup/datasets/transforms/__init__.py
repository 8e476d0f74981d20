from .checks import CheckImageAnnotations
from .video import LoadVideoObjectAnnotations, VideoClipSample

__all__ = ['CheckImageAnnotations', 'LoadVideoObjectAnnotations', 'VideoClipSample']
