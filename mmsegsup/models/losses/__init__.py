from .soft_iou_loss import SoftIoULoss, pairwise_soft_iou, soft_iou

__all__ = ['SoftIoULoss', 'soft_iou', 'pairwise_soft_iou']
