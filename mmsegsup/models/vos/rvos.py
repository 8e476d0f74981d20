"""RVOS: recurrent video object segmentation (Ventura et al., CVPR 2019) as an mmdet model."""
from typing import Dict, List, Optional, Tuple, Union

from mmsegsup.registry import MODELS
from mmdet.structures import TrackDataSample
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModel
from torch import Tensor

from .inference_core import VOSInferenceCore


@MODELS.register_module()
class RVOS(BaseModel):
    """Any mmdet backbone encoding each frame once, then an ``RVOSHead``.

    Inputs are clips ``(B, T, C, H, W)`` with ``TrackDataSample``s from mmdet's
    ``TrackDataPreprocessor``. Training encodes all frames of the batch in one pass;
    inference runs the video protocol of :class:`VOSInferenceCore`, which encodes frame by
    frame (:meth:`extract_feat`), so memory stays flat over long videos.

    Args:
        encode_per_frame: in training, encode frame ``t`` of the B clips as one batch, T passes,
            as imatge-upc/rvos does (train_previous_mask.py:280-297, ``encoder(x)`` per frame):
            with the encoder's BatchNorm in train mode its statistics are then those of B images
            and its running averages move T times per iteration, instead of once over B*T.
    """

    def __init__(self,
                 backbone: ConfigType,
                 head: ConfigType,
                 data_preprocessor: OptConfigType = None,
                 encode_per_frame: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.encode_per_frame = encode_per_frame

    def forward(self, inputs: Tensor, data_samples: Optional[List[TrackDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[TrackDataSample]]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            targets = self.head.get_targets(data_samples, inputs.device).masks
            return self.head(self.clip_feats(inputs), targets)
        raise ValueError(f'mode must be loss, predict or tensor, got {mode!r}')

    def extract_feat(self, images: Tensor) -> Tuple[Tensor, ...]:
        """The encoder levels of a batch of frames ``(N, C, H, W)``, finest first."""
        return tuple(self.backbone(images))

    def clip_feats(self, inputs: Tensor) -> List[Tuple[Tensor, ...]]:
        """Encode all B*T frames at once (or per frame, ``encode_per_frame``); the levels of
        each frame."""
        num_videos, num_frames = inputs.shape[:2]
        if self.encode_per_frame:
            return [self.extract_feat(inputs[:, t]) for t in range(num_frames)]
        feats = self.extract_feat(inputs.flatten(0, 1))
        feats = [f.view(num_videos, num_frames, *f.shape[1:]) for f in feats]
        return [tuple(f[:, t] for f in feats) for t in range(num_frames)]

    def loss(self, inputs: Tensor, data_samples: List[TrackDataSample]) -> Dict[str, Tensor]:
        return self.head.loss(self.clip_feats(inputs), data_samples)

    def predict(self, inputs: Tensor,
                data_samples: List[TrackDataSample]) -> List[TrackDataSample]:
        core = VOSInferenceCore(self)
        for b, video in enumerate(data_samples):
            core.predict_video((inputs[b, t:t + 1] for t in range(len(video))), video)
        return data_samples
