from .mask_matcher import HungarianMaskMatcher, matched_pairs
from .match_costs import SameClassCost, SoftIoUCost
from .weak_label_filter import WeakLabelFilter, filter_by_weak_labels, weak_metainfo

__all__ = ['HungarianMaskMatcher', 'matched_pairs', 'SameClassCost', 'SoftIoUCost',
           'WeakLabelFilter', 'filter_by_weak_labels', 'weak_metainfo']
