"""RSIS: recurrent semantic instance segmentation (Salvador et al., 2017) as an mmdet detector."""
from mmdet.models.detectors import SingleStageDetector
from mmsegsup.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig


@MODELS.register_module()
class RSIS(SingleStageDetector):
    """Any mmdet backbone (optionally a neck) followed by a recurrent head such as ``RSISHead``.

    The head sees every backbone level (skip connections) and emits one instance per recurrent
    step; there is no NMS. Training, prediction and ``add_pred_to_datasample`` are mmdet's
    single-stage flow, so ``CocoMetric``, the visualiser and ``inference_detector`` just work.
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
