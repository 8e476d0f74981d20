"""W-RSIS head (thesis ch. 4.6.1): RSIS told at every recurrent step which class to segment."""
import inspect
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmsegsup.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, reduce_mean
from mmengine.structures import InstanceData
from torch import Tensor

from .rsis_head import RSISHead

WeakMeta = Tuple[List[int], Optional[Dict[int, int]]]


def weak_metainfo(meta: dict) -> WeakMeta:
    """The ``weak_tokens`` and ``weak_counts`` that ``LoadWeakLabels`` put in a sample's meta."""
    if 'weak_tokens' not in meta:
        raise KeyError(
            f'image {meta.get("img_path", meta.get("img_id"))}: no "weak_tokens" in the data '
            "sample's metainfo; add LoadWeakLabels to the test pipeline and 'weak_tokens', "
            "'weak_counts' to the meta_keys of PackDetInputs")
    return [int(t) for t in meta['weak_tokens']], meta.get('weak_counts')


_RSIS_DECODER = inspect.signature(RSISHead.__init__).parameters['decoder'].default


@MODELS.register_module()
class WRSISHead(RSISHead):
    """One recurrent step per class token, each segmenting an instance of its class.

    The token is a one-hot of the class (``num_classes`` channels at 1x1, which the decoder
    resizes to every level, i.e. broadcasts spatially) fed as the decoder's ``extra_input``.
    One-hot rather than a learned embedding: it is the thesis's input (fig. 4.10), it adds no
    parameter or hyper-parameter, and ``num_classes`` extra input channels per ConvLSTM level
    are cheap (20 for VOC).

    Training: the tokens are the image's ground-truth classes sorted by class, one per instance
    (what IL+C labels give, :meth:`WeakLabels.class_tokens`), the first ``max_steps`` of them
    (a memory bound, as in RSIS). Steps and objects are matched by the Hungarian algorithm on
    the sIoU cost restricted to pairs of the same class ("masked Hungarian", table 4.6b), so the
    output is aligned with the input class while the model still picks the order among
    instances of one class. W-RSIS only has the segmentation output, so the sIoU mask loss is
    the only loss: RSIS's class, box and stop branches are dropped.

    Inference: one step per token of the image's weak labels (``weak_tokens`` in the metainfo,
    see ``LoadWeakLabels``), no stop rule and no cap: each token gives exactly one instance
    with the token's class. Its score, which only ranks instances for AP since the count is
    given, is the mask confidence: the mean foreground probability inside the predicted mask
    (0 for an empty mask). Boxes are the masks' tight boxes.

    Args: those of :class:`RSISHead`; ``decoder`` gets ``extra_input_channels=num_classes``.
    ``test_cfg`` uses ``mask_thr`` only.
    """

    def __init__(self, num_classes: int, in_channels: Sequence[int],
                 decoder: ConfigType = _RSIS_DECODER, **kwargs) -> None:
        extra = decoder.get('extra_input_channels', num_classes)
        if extra != num_classes:
            raise ValueError(f'W-RSIS feeds a one-hot of {num_classes} classes to the decoder, '
                             f'but decoder.extra_input_channels is {extra}')
        super().__init__(num_classes, in_channels,
                         decoder=dict(decoder, extra_input_channels=num_classes), **kwargs)
        # Segmentation output only (fig. 4.10): parameters without gradients would break DDP.
        self.fc_cls = self.fc_bbox = self.fc_stop = None

    def forward(self, x: Tuple[Tensor], tokens: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """``tokens (B, T)`` class indices, -1 where an image has fewer than ``T``.

        Returns ``mask_logits (B, T, h, w)`` at the decoder's finest resolution, and
        ``iou_pred (B, T)`` with an IoU branch (IoU-W-RSIS).
        """
        if tokens is None or tokens.numel() == 0:
            raise ValueError('W-RSIS segments one object per class token: pass tokens (B, T) '
                             'with T >= 1')
        proj = self._project(x)
        onehot = F.one_hot(tokens.clamp(min=0), self.num_classes).to(proj[0].dtype)
        onehot = onehot * (tokens >= 0)[..., None]  # padding steps see no class
        state, masks, iou_feats = None, [], []
        for t in range(tokens.shape[1]):
            mask, _, state = self.decoder.step(proj, state,
                                               extra_input=onehot[:, t, :, None, None])
            masks.append(mask[:, 0])
            iou_feats.append(self._iou_feature(proj, state, mask))
        return self._add_iou_pred(dict(mask_logits=torch.stack(masks, 1)), iou_feats)

    @staticmethod
    def gt_tokens(labels: Tensor) -> Tensor:
        """The IL+C tokens of ground-truth ``labels``: one per instance, sorted by class."""
        return torch.sort(labels, stable=True).values

    @staticmethod
    def pad_tokens(tokens: Sequence[Tensor], device: torch.device) -> Tensor:
        """``(B, max(1, longest))`` with -1 padding; one step at least keeps the graph alive."""
        out = torch.full((len(tokens), max([1] + [len(t) for t in tokens])), -1,
                         dtype=torch.long, device=device)
        for b, t in enumerate(tokens):
            out[b, :len(t)] = t
        return out

    @staticmethod
    def same_class(tokens: Tensor, labels: Tensor) -> Tensor:
        """``(T, G)``: which step may be matched to which object (the masked Hungarian)."""
        return tokens.to(labels.device)[:, None] == labels[None, :]

    def loss(self, x: Tuple[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """sIoU of each step against the object of its class it is matched to."""
        gts = [s.gt_instances for s in batch_data_samples]
        tokens = [self.gt_tokens(g.labels)[:self.max_steps] for g in gts]
        device = x[0].device
        out = self(x, self.pad_tokens(tokens, device))
        mask_logits = self._to_padded(out['mask_logits'], batch_data_samples)
        gt_masks = [self._gt_masks(g, mask_logits.shape[-2:], device) for g in gts]
        matches = self.matcher.match(
            mask_logits.detach().sigmoid(), gt_masks, num_preds=[len(t) for t in tokens],
            allowed=[self.same_class(t, g.labels) for t, g in zip(tokens, gts)])
        batch_idx, pred_idx, tgt_masks = self._gather_matched(matches, gt_masks, device)
        num_pos = reduce_mean(mask_logits.new_tensor(float(len(pred_idx)))).clamp(min=1).item()
        losses = dict(loss_mask=self.loss_mask(mask_logits[batch_idx, pred_idx], tgt_masks,
                                               avg_factor=num_pos))
        losses.update(self._iou_loss(out, mask_logits, batch_idx, pred_idx, tgt_masks, num_pos))
        return self._only_iou(losses)

    def predict(self, x: Tuple[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> List[InstanceData]:
        """One instance per weak-label token, labelled with the token's class."""
        metas = [s.metainfo for s in batch_data_samples]
        device = x[0].device
        tokens = [torch.as_tensor(weak_metainfo(m)[0], dtype=torch.long) for m in metas]
        for meta, t in zip(metas, tokens):
            if len(t) and not 0 <= int(t.min()) <= int(t.max()) < self.num_classes:
                raise ValueError(f'image {meta.get("img_path")}: weak token classes '
                                 f'{t.tolist()} outside 0..{self.num_classes - 1}')
        out = self(x, self.pad_tokens(tokens, device))
        probs = self._to_padded(out['mask_logits'], batch_data_samples).sigmoid()
        results = []
        for b, (t, meta) in enumerate(zip(tokens, metas)):
            res = self._instances(probs[b, :len(t)], t.to(device), meta, rescale)
            if self.iou_branch is not None:
                res.ious = self.iou_branch.to_iou(out['iou_pred'][b, :len(t)])
            results.append(res)
        return results

    def _instances(self, probs: Tensor, labels: Tensor, meta: dict,
                   rescale: bool) -> InstanceData:
        """Threshold and score the steps of one image at its (original) size."""
        probs = self._to_image(probs, meta, rescale)
        masks = probs > self.test_cfg['mask_thr']
        area = masks.sum((1, 2))
        scores = (probs * masks).sum((1, 2)) / area.clamp(min=1)
        return InstanceData(masks=masks, labels=labels, scores=scores,
                            bboxes=mask2bbox(masks).to(probs.device))
