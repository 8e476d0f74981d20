from .prev_mask_curriculum_hook import PrevMaskCurriculumHook

__all__ = ['PrevMaskCurriculumHook']
