from .freeze_segmentation_hook import FreezeSegmentationHook
from .prev_mask_curriculum_hook import PrevMaskCurriculumHook
from .pseudo_label_hook import PseudoLabelHook

__all__ = ['FreezeSegmentationHook', 'PrevMaskCurriculumHook', 'PseudoLabelHook']
