from .balanced_bce_loss import BalancedBCELoss, balanced_bce
from .soft_iou_loss import SoftIoULoss, pairwise_soft_iou, soft_iou, soft_iou_loss

__all__ = ['BalancedBCELoss', 'balanced_bce', 'SoftIoULoss', 'soft_iou', 'soft_iou_loss',
           'pairwise_soft_iou']
