"""RefVOS: segment the object a sentence describes, frame by frame (thesis 6.3).

image -> backbone (DeepLabv3: ResNet at output stride 8) -> ASPP (256-d) ⊙ Linear(sentence
embedding) -> 2-class logits. It is mmseg's ``EncoderDecoder`` plus a ``text_encoder`` whose
input is each sample's ``metainfo['expression']`` (put ``'expression'`` in ``PackSegInputs``'
``meta_keys``), so mmseg's training / testing loops, metrics and TTA work unchanged. Videos are
just frames: the frozen (or eval-mode) encoder memoises sentences, so a video's sentence is
encoded once.

Text-encoder training through the config: ``text_encoder=dict(..., frozen=True)`` freezes it;
otherwise ``optim_wrapper=dict(paramwise_cfg=dict(custom_keys={'text_encoder':
dict(lr_mult=0.1)}))`` gives it its own learning rate.
"""
import copy
import inspect
from typing import List, Optional

import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmsegsup.registry import SEG_MODELS as MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, OptSampleList, SampleList
from mmseg.utils import add_prefix
from torch import Tensor

from ..heads import ref_aspp_head  # noqa: F401  (registers RefASPPHead)
from ..text import hf_text_encoder  # noqa: F401  (registers HFTextEncoder)


@MODELS.register_module()
class RefVOS(EncoderDecoder):
    """mmseg ``EncoderDecoder`` whose decode head is conditioned on a sentence.

    Args:
        text_encoder: config of the sentence encoder (e.g. ``HFTextEncoder``); it must have an
            ``out_channels`` attribute and map ``List[str] -> (B, out_channels)``. Not built
            when the head's ``fusion`` is ``'none'`` (the visual-only ablation: the language
            is ignored and ``text_encoder`` is None).
        decode_head: a head taking ``text_feats`` (``RefASPPHead``); its ``text_channels`` is
            filled in from the encoder when left out.
        Other arguments are ``EncoderDecoder``'s (an ``auxiliary_head`` sees images only).
    """

    def __init__(self, backbone: ConfigType, decode_head: ConfigType,
                 text_encoder: OptConfigType = None,
                 neck: OptConfigType = None, auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None, test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None, pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        encoder = None
        if decode_head.get('fusion') != 'none':
            if text_encoder is None:
                raise ValueError("RefVOS needs a text_encoder unless decode_head.fusion is "
                                 "'none'")
            encoder = MODELS.build(text_encoder)
            decode_head = self._with_text_channels(decode_head, int(encoder.out_channels))
        super().__init__(backbone=backbone, decode_head=decode_head, neck=neck,
                         auxiliary_head=auxiliary_head, train_cfg=train_cfg,
                         test_cfg=test_cfg if test_cfg is not None else dict(mode='whole'),
                         data_preprocessor=data_preprocessor, pretrained=pretrained,
                         init_cfg=init_cfg)
        self.text_encoder = encoder

    @staticmethod
    def _with_text_channels(decode_head: ConfigType, text_channels: int) -> dict:
        """The head config with ``text_channels`` checked or filled in from the encoder."""
        head_type = decode_head.get('type')
        head_cls = MODELS.get(head_type) if isinstance(head_type, str) else head_type
        if head_cls is None:
            raise ValueError(f'decode_head type {head_type!r} is not registered')
        if 'text_channels' not in inspect.signature(head_cls.__init__).parameters:
            raise ValueError(f'decode_head {head_cls.__name__} does not take sentence '
                             'embeddings (no text_channels argument); use RefASPPHead')
        decode_head = copy.deepcopy(decode_head)
        given = decode_head.get('text_channels')
        if given is None:
            decode_head['text_channels'] = text_channels
        elif given != text_channels:
            raise ValueError(f'decode_head.text_channels={given} but the text encoder '
                             f'outputs {text_channels}-d embeddings')
        return decode_head

    @staticmethod
    def expressions(batch_img_metas: List[dict]) -> List[str]:
        """The sentence of each sample, with a clear error when one is missing or empty."""
        sentences = []
        for i, meta in enumerate(batch_img_metas):
            where = meta.get('img_path') or f'sample {i} of the batch'
            expr_id = meta.get('expr_id')
            where = f'{where} (expr_id {expr_id})' if expr_id is not None else where
            if 'expression' not in meta:
                raise ValueError(f'RefVOS: {where} has no "expression" in its metainfo; add '
                                 "'expression' to PackSegInputs' meta_keys")
            expr = meta['expression']
            if not isinstance(expr, str) or not expr.strip():
                raise ValueError(f'RefVOS: {where} has an empty or non-string expression '
                                 f'{expr!r}')
            sentences.append(expr)
        return sentences

    def encode_text(self, batch_img_metas: List[dict]) -> Optional[Tensor]:
        """``(B, C)`` embeddings of the samples' expressions (None without an encoder)."""
        if self.text_encoder is None:
            return None
        return self.text_encoder(self.expressions(batch_img_metas))

    @staticmethod
    def _metas(data_samples: OptSampleList) -> List[dict]:
        if data_samples is None:
            raise ValueError('RefVOS needs data_samples whose metainfo holds the "expression" '
                             '(or pass text_feats)')
        return [ds.metainfo for ds in data_samples]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Cross-entropy of the sentence-conditioned head (plus an optional auxiliary head)."""
        text_feats = self.encode_text(self._metas(data_samples))
        x = self.extract_feat(inputs)
        losses = dict()
        loss_decode = self.decode_head.loss(x, data_samples, self.train_cfg,
                                            text_feats=text_feats)
        losses.update(add_prefix(loss_decode, 'decode'))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None,
                text_feats: Optional[Tensor] = None) -> SampleList:
        """``SegDataSample``s with ``pred_sem_seg`` (1 = referent) and ``seg_logits``.

        ``text_feats`` (B, C) skips the encoder (e.g. one sentence shared by a video's frames).
        """
        if data_samples is not None:
            batch_img_metas = [ds.metainfo for ds in data_samples]
        elif text_feats is not None or self.text_encoder is None:
            shape = inputs.shape[2:]
            batch_img_metas = [dict(ori_shape=shape, img_shape=shape, pad_shape=shape,
                                    padding_size=[0, 0, 0, 0])] * inputs.shape[0]
        else:
            raise ValueError('RefVOS.predict needs data_samples with an "expression" or '
                             'text_feats')
        seg_logits = self.inference(inputs, batch_img_metas, text_feats)
        return self.postprocess_result(seg_logits, data_samples)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None,
                 text_feats: Optional[Tensor] = None) -> Tensor:
        """Raw head logits (feature resolution)."""
        if text_feats is None and self.text_encoder is not None:
            text_feats = self.encode_text(self._metas(data_samples))
        return self.decode_head.forward(self.extract_feat(inputs), text_feats)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict],
                      text_feats: Optional[Tensor] = None) -> Tensor:
        """Logits at the input size for images and their sentences."""
        if text_feats is None:
            text_feats = self.encode_text(batch_img_metas)
        x = self.extract_feat(inputs)
        return self.decode_head.predict(x, batch_img_metas, self.test_cfg, text_feats=text_feats)

    def inference(self, inputs: Tensor, batch_img_metas: List[dict],
                  text_feats: Optional[Tensor] = None) -> Tensor:
        """Whole or sliding-window inference, encoding the sentences once for all windows."""
        mode = self.test_cfg.get('mode', 'whole')
        if mode not in ('slide', 'whole'):
            raise ValueError(f'test_cfg.mode must be "slide" or "whole", got {mode!r}')
        if text_feats is None:
            text_feats = self.encode_text(batch_img_metas)
        if mode == 'slide':
            return self.slide_inference(inputs, batch_img_metas, text_feats)
        return self.whole_inference(inputs, batch_img_metas, text_feats)

    def whole_inference(self, inputs: Tensor, batch_img_metas: List[dict],
                        text_feats: Optional[Tensor] = None) -> Tensor:
        return self.encode_decode(inputs, batch_img_metas, text_feats)

    def slide_inference(self, inputs: Tensor, batch_img_metas: List[dict],
                        text_feats: Optional[Tensor] = None) -> Tensor:
        """mmseg's overlapping-window inference, every window with the same sentences."""
        if text_feats is None:
            text_feats = self.encode_text(batch_img_metas)
        h_stride, w_stride = self.test_cfg['stride']
        h_crop, w_crop = self.test_cfg['crop_size']
        batch_size, _, h_img, w_img = inputs.size()
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        preds = inputs.new_zeros((batch_size, self.out_channels, h_img, w_img))
        count_mat = inputs.new_zeros((batch_size, 1, h_img, w_img))
        for h_idx in range(h_grids):
            for w_idx in range(w_grids):
                y2 = min(h_idx * h_stride + h_crop, h_img)
                x2 = min(w_idx * w_stride + w_crop, w_img)
                y1, x1 = max(y2 - h_crop, 0), max(x2 - w_crop, 0)
                crop = inputs[:, :, y1:y2, x1:x2]
                # as in mmseg: predict_by_feat resizes to the window for torch.Size img_shape
                batch_img_metas[0]['img_shape'] = crop.shape[2:]
                logits = self.encode_decode(crop, batch_img_metas, text_feats)
                preds += F.pad(logits, (int(x1), int(w_img - x2), int(y1), int(h_img - y2)))
                count_mat[:, :, y1:y2, x1:x2] += 1
        return preds / count_mat
