"""RSIS: recurrent semantic instance segmentation (Salvador et al., 2017) as an mmdet detector."""
from typing import Dict, List, Set, Union

from mmdet.models.detectors import SingleStageDetector
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmsegsup.registry import MODELS

Losses = Dict[str, Union[Tensor, List[Tensor]]]


@MODELS.register_module()
class RSIS(SingleStageDetector):
    """Any mmdet backbone (optionally a neck) followed by a recurrent head such as ``RSISHead``.

    The head sees every backbone level (skip connections) and emits one instance per recurrent
    step; there is no NMS. Training, prediction and ``add_pred_to_datasample`` are mmdet's
    single-stage flow, so ``CocoMetric``, the visualiser and ``inference_detector`` just work.

    ``inactive_losses`` names the loss terms still switched off by ``LossSwitchHook``
    (imatge-upc/rsis's schedule). :meth:`loss` still computes and returns them, detached and
    renamed ``off_*``, so they are logged but no total sums them (MMEngine sums the keys
    holding 'loss', in training and in a validation by losses, ``LossValLoop``): their branches
    get no gradient at all, as in the original, which adds a term only once it is on
    (src/train.py:171-176). Empty by default: every term trains.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(backbone=backbone, neck=neck, bbox_head=head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.inactive_losses: Set[str] = set()

    @staticmethod
    def off_name(name: str) -> str:
        """The logged name of an inactive term: without 'loss', so no total sums it."""
        return name.replace('loss', 'off', 1)

    def mute_inactive(self, losses: Losses) -> Losses:
        """``losses`` with the inactive terms detached and renamed ``off_*``."""
        out: Losses = {}
        for key, value in losses.items():
            if key in self.inactive_losses:
                key = self.off_name(key)
                value = ([v.detach() for v in value] if isinstance(value, list)
                         else value.detach())
            out[key] = value
        return out

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Losses:
        """The head's losses, the inactive ones muted.

        Out of training mode (a validation by losses) the ground-truth masks are padded to the
        batch here: the data preprocessor pads them in training mode only.
        """
        if not self.training and getattr(self.data_preprocessor, 'pad_mask', False):
            self.data_preprocessor.pad_gt_masks(batch_data_samples)
        return self.mute_inactive(super().loss(batch_inputs, batch_data_samples))
