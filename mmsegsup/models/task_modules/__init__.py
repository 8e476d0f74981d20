from .mask_matcher import HungarianMaskMatcher, matched_pairs
from .match_costs import SameClassCost, SoftIoUCost
from .slot_layout import SlotLayout, SlotTargets, given_labels, given_masks, slot_targets
from .weak_label_filter import WeakLabelFilter, filter_by_weak_labels, weak_metainfo

__all__ = ['HungarianMaskMatcher', 'matched_pairs', 'SameClassCost', 'SoftIoUCost',
           'SlotLayout', 'SlotTargets', 'given_labels', 'given_masks', 'slot_targets',
           'WeakLabelFilter', 'filter_by_weak_labels', 'weak_metainfo']
