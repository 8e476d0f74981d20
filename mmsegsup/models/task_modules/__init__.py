from .mask_matcher import HungarianMaskMatcher

__all__ = ['HungarianMaskMatcher']
