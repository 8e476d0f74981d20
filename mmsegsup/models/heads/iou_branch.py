"""Mask-IoU branch of IoU-W-RSIS (thesis 5.3): each step predicts the IoU of its own mask."""
from typing import Sequence

import torch
import torch.nn as nn
from mmsegsup.registry import MODELS
from mmdet.utils import ConfigType
from torch import Tensor

IOU_TARGETS = ('iou', 'square', 'sqrt')


def mask_iou(pred: Tensor, gt: Tensor) -> Tensor:
    """IoU of binary masks ``(N, H, W)`` pairwise in order; 1 where both are empty (nothing to
    find and nothing found is a perfect mask, as DAVIS's J counts it)."""
    pred, gt = pred.bool().flatten(1), gt.bool().flatten(1)
    inter = (pred & gt).sum(1).float()
    union = (pred | gt).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


@MODELS.register_module()
class MaskIoUBranch(nn.Module):
    """A fully connected layer on the pooled decoder features of a step, regressing a transform
    of the IoU that step's binarised mask has with its matched object.

    Args:
        in_channels: length of the pooled feature (filled in by the head).
        target: what is regressed: ``'iou'``, ``'square'`` (IoU**2, the thesis's text, more
            weight on low IoUs) or ``'sqrt'`` (sqrt(IoU), the best row of table 5.1). The
            prediction is mapped back to an IoU by :meth:`to_iou`.
        pooling: decoder pooling modes feeding the layer; ``('avg',)`` is the thesis's global
            average pooling of every level.
        loss: regression loss on the transformed values (L1 in the thesis).
        joint: train the branch from the first iteration together with the segmentation (the
            "Baseline" row of table 5.1). When False, its loss is only switched on by
            :class:`FreezeSegmentationHook`, after which only this branch trains.
    """

    def __init__(self, in_channels: int, target: str = 'sqrt',
                 pooling: Sequence[str] = ('avg', ),
                 loss: ConfigType = dict(type='L1Loss', loss_weight=1.0),
                 joint: bool = False) -> None:
        super().__init__()
        if target not in IOU_TARGETS:
            raise ValueError(f'iou_branch.target must be one of {IOU_TARGETS}, got {target!r}')
        self.target = target
        self.pooling = tuple(pooling)
        self.joint = joint
        self.fc = nn.Linear(in_channels, 1)
        self.loss = MODELS.build(loss)

    def forward(self, feats: Tensor) -> Tensor:
        """``(..., C)`` pooled features -> ``(...)`` predicted transformed IoU in [0, 1]."""
        return self.fc(feats)[..., 0].sigmoid()

    def transform(self, iou: Tensor) -> Tensor:
        """IoU -> the regressed quantity."""
        if self.target == 'square':
            return iou ** 2
        if self.target == 'sqrt':
            return iou.clamp(min=0).sqrt()
        return iou

    def to_iou(self, pred: Tensor) -> Tensor:
        """Inverse of :meth:`transform`: the predicted IoU."""
        if self.target == 'square':
            return pred.clamp(min=0).sqrt()
        if self.target == 'sqrt':
            return pred ** 2
        return pred
