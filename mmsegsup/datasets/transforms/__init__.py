from .checks import CheckImageAnnotations
from .video import LoadVideoObjectAnnotations, VideoClipSample
from .weak_labels import LoadWeakLabels

__all__ = ['CheckImageAnnotations', 'LoadVideoObjectAnnotations', 'LoadWeakLabels',
           'VideoClipSample']
