"""DeepLabv3's ASPP head conditioned on a sentence embedding (RefVOS, thesis 6.3).

The sentence vector is projected to the ASPP width with a Linear layer and fused with the ASPP
bottleneck features at every pixel: element-wise product (``'mul'``, the thesis's choice, best
in its Table 6.1), sum (``'add'``) or concatenation followed by a 1x1 conv (``'concat'``);
``'none'`` ignores the sentence (the visual-only ablation: no projection is built). Then
mmseg's dropout + ``conv_seg`` predict the 2 classes (background, referent).

Thesis-exact options (the original code's torchvision ``DeepLabHeadEmb``, used by
``configs/_base_/models/refvos_r101.py``; our variant: ``refvos_r101_mmsegsup.py``):
``pool_last=True`` (image pooling after the atrous branches), ``bottleneck_kernel=1`` +
``bottleneck_dropout=0.5`` (the ASPP project), ``text_norm_cfg=dict(type='BN1d')`` (Linear +
BatchNorm1d on the sentence) and ``post_fusion=((1, 0.5), (3, 0.0))`` (1x1
conv-BN-ReLU-Dropout(0.5), 3x3 conv-BN-ReLU after the product), with ``dropout_ratio=0``.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_norm_layer
from mmseg.models.decode_heads import ASPPHead
from mmseg.models.utils import resize
from mmsegsup.registry import SEG_MODELS as MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

FUSIONS = ('mul', 'add', 'concat', 'none')


@MODELS.register_module()
class RefASPPHead(ASPPHead):
    """ASPP head whose features are fused with a projected sentence embedding.

    Args:
        text_channels: size of the sentence embedding (the text encoder's ``out_channels``;
            RefVOS fills it in when the config leaves it out; unused with ``fusion='none'``).
        fusion: ``'mul'``, ``'add'``, ``'concat'`` or ``'none'`` (language ignored).
        dilations: ASPP rates; the thesis's DeepLabv3 uses (1, 12, 24, 36) at output stride 8.
        **kwargs: mmseg ``BaseDecodeHead`` arguments (``in_channels``, ``channels`` = 256 in the
            thesis, ``num_classes`` = 2, ``loss_decode``...).

    ``forward``, ``loss`` and ``predict`` take the ``(B, text_channels)`` embeddings as
    ``text_feats``; ``loss_by_feat`` / ``predict_by_feat`` are mmseg's.
    """

    def __init__(self, text_channels: Optional[int] = None, fusion: str = 'mul',
                 dilations: Tuple[int, ...] = (1, 12, 24, 36), pool_last: bool = False,
                 bottleneck_kernel: int = 3, bottleneck_dropout: float = 0.0,
                 text_norm_cfg: Optional[dict] = None,
                 post_fusion: Sequence[Tuple[int, float]] = (), **kwargs) -> None:
        super().__init__(dilations=dilations, **kwargs)
        if bottleneck_kernel not in (1, 3):
            raise ValueError(f'bottleneck_kernel must be 1 or 3, got {bottleneck_kernel!r}')
        self.pool_last = pool_last
        if bottleneck_kernel != 3:  # torchvision's ASPP project is a 1x1 conv
            self.bottleneck = ConvModule((len(dilations) + 1) * self.channels, self.channels,
                                         bottleneck_kernel, padding=bottleneck_kernel // 2,
                                         conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                         act_cfg=self.act_cfg)
        # nn.Dropout (element-wise) as torchvision, not mmseg's channel-wise Dropout2d
        self.bottleneck_dropout = (nn.Dropout(bottleneck_dropout) if bottleneck_dropout > 0
                                   else nn.Identity())
        layers: List[nn.Module] = []
        for kernel, drop in post_fusion:
            layers.append(ConvModule(self.channels, self.channels, int(kernel),
                                     padding=int(kernel) // 2, conv_cfg=self.conv_cfg,
                                     norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))
            layers.append(nn.Dropout(drop) if drop > 0 else nn.Identity())
        self.post_fusion = nn.Sequential(*layers)
        if fusion not in FUSIONS:
            raise ValueError(f'fusion must be one of {FUSIONS}, got {fusion!r}')
        self.text_channels = text_channels
        self.fusion = fusion
        if fusion == 'none':
            return  # visual-only ablation: no sentence, nothing to project
        if not isinstance(text_channels, int) or text_channels < 1:
            raise ValueError(f'text_channels must be a positive int, got {text_channels!r}')
        self.text_proj = nn.Linear(text_channels, self.channels)
        self.text_norm = (build_norm_layer(text_norm_cfg, self.channels)[1]
                          if text_norm_cfg is not None else nn.Identity())
        if fusion == 'concat':
            self.fusion_conv = ConvModule(2 * self.channels, self.channels, 1,
                                          conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                                          act_cfg=self.act_cfg)

    def project_text(self, text_feats: Tensor) -> Tensor:
        """``(B, channels)`` sentence factor of the fusion (Linear, then the optional norm)."""
        return self.text_norm(self.text_proj(text_feats))

    def _forward_feature(self, inputs: List[Tensor]) -> Tensor:
        """ASPP features; with ``pool_last`` the image pooling branch is concatenated last."""
        x = self._transform_inputs(inputs)
        pooled = resize(self.image_pool(x), size=x.size()[2:], mode='bilinear',
                        align_corners=self.align_corners)
        branches = self.aspp_modules(x)
        outs = branches + [pooled] if self.pool_last else [pooled] + branches
        return self.bottleneck_dropout(self.bottleneck(torch.cat(outs, dim=1)))

    def fuse(self, feats: Tensor, text_feats: Optional[Tensor]) -> Tensor:
        """Combine ``(B, C, H, W)`` visual features with ``(B, text_channels)`` sentences."""
        if self.fusion == 'none':
            return feats
        if text_feats is None:
            raise ValueError('RefASPPHead needs the sentence embeddings (text_feats); build the '
                             'model as RefVOS, which encodes data_sample.metainfo["expression"]')
        if text_feats.dim() != 2 or text_feats.shape[1] != self.text_channels:
            raise ValueError(f'text_feats must be (B, {self.text_channels}), got '
                             f'{tuple(text_feats.shape)}')
        if text_feats.shape[0] != feats.shape[0]:
            raise ValueError(f'{text_feats.shape[0]} sentence embeddings for a batch of '
                             f'{feats.shape[0]} images')
        text = self.project_text(text_feats.to(feats.dtype))[:, :, None, None]
        if self.fusion == 'mul':
            return feats * text
        if self.fusion == 'add':
            return feats + text
        return self.fusion_conv(torch.cat([feats, text.expand_as(feats)], dim=1))

    def forward(self, inputs: List[Tensor], text_feats: Optional[Tensor] = None) -> Tensor:
        """2-class logits at the feature resolution."""
        feats = self._forward_feature(inputs)
        return self.cls_seg(self.post_fusion(self.fuse(feats, text_feats)))

    def loss(self, inputs: Tuple[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType, text_feats: Optional[Tensor] = None) -> dict:
        """mmseg's decode loss, the logits conditioned on ``text_feats``."""
        return self.loss_by_feat(self.forward(inputs, text_feats), batch_data_samples)

    def predict(self, inputs: Tuple[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType, text_feats: Optional[Tensor] = None) -> Tensor:
        """Logits resized to the (padded) input size, conditioned on ``text_feats``."""
        return self.predict_by_feat(self.forward(inputs, text_feats), batch_img_metas)
