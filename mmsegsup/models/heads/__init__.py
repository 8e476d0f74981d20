from .iou_branch import IOU_TARGETS, MaskIoUBranch, mask_iou
from .ref_aspp_head import RefASPPHead
from .rsis_head import RSISHead
from .rsis_weak_inference import RSISWeakInferenceHead
from .rvos_head import RVOSHead
from .wrsis_head import WRSISHead

__all__ = ['IOU_TARGETS', 'MaskIoUBranch', 'mask_iou', 'RefASPPHead', 'RSISHead',
           'RSISWeakInferenceHead', 'RVOSHead', 'WRSISHead']
