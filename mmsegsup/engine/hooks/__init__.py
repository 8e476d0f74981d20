from .freeze_segmentation_hook import FreezeSegmentationHook
from .loss_switch_hook import LossSwitchHook
from .prev_mask_curriculum_hook import PrevMaskCurriculumHook

__all__ = ['FreezeSegmentationHook', 'LossSwitchHook', 'PrevMaskCurriculumHook']
