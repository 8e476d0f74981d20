"""W-RSIS head (thesis ch. 4.6.1): the RSIS decoder told at every recurrent step which class
to segment; the class-token conditioning lives here, the shared RSIS maths in
:class:`RSISHead`."""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, InstanceList
from mmengine.structures import InstanceData
from mmsegsup.registry import MODELS
from torch import Tensor

from ..layers.class_token import class_tokens, pad_tokens
from ..task_modules.weak_label_filter import weak_metainfo
from .rsis_head import Outs, RSISHead
from .rsis_rules import ImageSteps, token_instances

MASKED_HUNGARIAN = [dict(type='SoftIoUCost'), dict(type='SameClassCost')]


@MODELS.register_module()
class WRSISHead(RSISHead):
    """:class:`RSISHead` whose decoder gets a class token at every step, with the sIoU mask
    loss only (W-RSIS has only the segmentation output: no class, box or stop branch).

    Training: the tokens are the image's ground-truth classes sorted by class, one per
    instance (what IL+C labels give), the first ``max_steps`` of them; the matcher gets the
    same-class constraint ("masked Hungarian", table 4.6b) unless its config names its own
    ``match_costs``. Inference: one step per token of the image's weak labels (``weak_tokens``
    in the metainfo, see ``LoadWeakLabels``), no stop rule and no cap: each token gives exactly
    one instance with the token's class (:func:`~.rsis_rules.token_instances`).

    Args: those of :class:`RSISHead`, and ``conditioner``: config (MODELS) of a class-token
    conditioner such as ``OneHotClassToken`` (``num_classes`` filled in): ``out_channels``,
    ``forward(tokens (B, T), dtype) -> (B, T, C, 1, 1)`` and ``check(tokens, meta)``. The
    RSIS branch options a W-RSIS config inherits from its RSIS base (``loss_cls``,
    ``loss_bbox``, ``loss_stop``, ``with_bbox``, ``test_cfg`` rule keys) build nothing; of
    ``test_cfg`` only ``mask_thr`` is used.
    """

    def __init__(self, *args, conditioner: ConfigType = dict(type='OneHotClassToken'),
                 matcher: ConfigType = dict(type='HungarianMaskMatcher'), **kwargs) -> None:
        self._conditioner_cfg = conditioner
        super().__init__(*args, matcher=dict(dict(match_costs=MASKED_HUNGARIAN), **matcher),
                         **kwargs)

    def _check_test_cfg(self) -> None:
        if self.test_cfg['weak_filter'] is not None:
            raise ValueError('test_cfg.weak_filter filters the predictions of a head without '
                             'class tokens; W-RSIS already takes the weak labels as its tokens')

    def _init_layers(self, decoder: ConfigType, branch_losses: Dict[str, ConfigType]) -> None:
        """The conditioner and the decoder fed by it; no branch layer."""
        self.conditioner = MODELS.build(dict(dict(num_classes=self.num_classes),
                                             **self._conditioner_cfg))
        channels = self.conditioner.out_channels
        extra = decoder.get('extra_input_channels', channels)
        if extra != channels:
            raise ValueError(f'the conditioner feeds {channels} channels to the decoder, but '
                             f'decoder.extra_input_channels is {extra}')
        self.decoder = MODELS.build(dict(decoder, in_channels=self.in_channels,
                                         extra_input_channels=channels))
        self.fc_cls = self.fc_bbox = self.fc_stop = None
        self.loss_cls = self.loss_bbox = self.loss_stop = None

    def forward(self, x: Tuple[Tensor], tokens: Optional[Tensor] = None) -> Outs:
        """One step per class token of ``tokens (B, T)`` (-1 where an image has fewer than
        ``T``): ``mask_logits (B, T, h, w)``, with the IoU branch ``iou_pred (B, T)``, and
        ``tokens`` themselves."""
        if tokens is None or tokens.numel() == 0:
            raise ValueError('this head segments one object per class token: pass tokens '
                             '(B, T) with T >= 1')
        outs = self.decode(x, tokens.shape[1], self.conditioner(tokens, x[0].dtype))
        return dict(outs, tokens=tokens)

    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        gts, _, metas = unpack_gt_instances(batch_data_samples)
        tokens = [class_tokens(g.labels)[:self.max_steps] for g in gts]
        outs = self(x, pad_tokens(tokens, x[0].device))
        return self.loss_by_feat(outs, gts, metas, tokens)

    def predict(self, x: Tuple[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> InstanceList:
        """One instance per weak-label token, labelled with the token's class."""
        metas = [s.metainfo for s in batch_data_samples]
        tokens = [torch.as_tensor(weak_metainfo(m)[0], dtype=torch.long) for m in metas]
        for meta, t in zip(metas, tokens):
            self.conditioner.check(t, meta)
        return self.predict_by_feat(self(x, pad_tokens(tokens, x[0].device)), metas, rescale)

    def predict_by_probs(self, outs: Outs, probs: Outs, batch_img_metas: List[dict],
                         rescale: bool = True) -> InstanceList:
        """One instance per class token of ``outs['tokens']`` (the padding dropped)."""
        results = []
        for b, meta in enumerate(batch_img_metas):
            tokens = outs['tokens'][b]
            num = int((tokens >= 0).sum())  # the padding (-1) follows the tokens
            steps = self._image_steps(outs, probs, b, meta)
            steps = ImageSteps(*(None if v is None else v[:num] for v in steps))
            results.append(self._predict_by_feat_single(steps._replace(tokens=tokens[:num]),
                                                        meta, rescale))
        return results

    def _predict_by_feat_single(self, steps: ImageSteps, meta: dict,
                                rescale: bool) -> InstanceData:
        return token_instances(steps, meta, self.test_cfg, rescale, self.align_corners)
