"""Key mapping from the original RefVOS code's ``'model'`` state_dict to our RefVOS (issue 14).

The original (miriambellver/refvos) is torchvision's ``deeplabv3_resnet101`` with its
``DeepLabHeadEmb``. Its ResNet-101 with ``replace_stride_with_dilation=[False, True, True]`` is
mmseg's ``ResNet`` (not V1c) with ``style='pytorch'``, ``strides=(1, 2, 1, 1)``,
``dilations=(1, 1, 2, 4)``, ``contract_dilation=True``: same 7x7 stem, stride on conv2, first
block of layer3/4 at half dilation, and the same parameter names, so ``backbone.*`` keys map
unchanged. The head maps onto ``RefASPPHead`` with the thesis-exact options
(:data:`THESIS_HEAD_OPTIONS`); :func:`thesis_refvos_cfg` is the whole model config (the converter
of published checkpoints writes it, the equality tests build it).
"""
from typing import Dict, Optional

# RefASPPHead options reproducing DeepLabHeadEmb (pass with in_channels=2048, channels=256,
# dilations=(1, 12, 24, 36), num_classes=2, fusion='mul')
THESIS_HEAD_OPTIONS: Dict[str, object] = dict(
    pool_last=True, bottleneck_kernel=1, bottleneck_dropout=0.5,
    text_norm_cfg=dict(type='BN1d'), post_fusion=((1, 0.5), (3, 0.0)), dropout_ratio=0.0)

# torchvision's ImageNet normalisation (test.py get_transform) on BGR uint8 as mmseg loads it
THESIS_DATA_PREPROCESSOR: Dict[str, object] = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255)


def thesis_refvos_cfg(max_length: int = 20, tokenizer: str = 'bert-base-uncased',
                      bert_config: Optional[dict] = None) -> dict:
    """The RefVOS config of the original code: torchvision's ResNet-101 layout, DeepLabHeadEmb,
    BERT's [CLS] in eval mode with sliced truncation at ``max_length`` tokens.

    The BERT architecture is built offline from ``bert_config`` (``transformers`` config fields
    with ``model_type``; default ``BertConfig()``, i.e. bert-base-uncased) and filled by a
    checkpoint; ``tokenizer`` (the original's ``--bert_tokenizer``) only tokenises sentences.
    """
    norm_cfg = dict(type='BN', requires_grad=True)
    return dict(
        type='RefVOS',
        data_preprocessor=dict(THESIS_DATA_PREPROCESSOR),
        backbone=dict(type='ResNet', depth=101, out_indices=(3, ), strides=(1, 2, 1, 1),
                      dilations=(1, 1, 2, 4), style='pytorch', contract_dilation=True,
                      norm_cfg=norm_cfg),
        decode_head=dict(type='RefASPPHead', in_channels=2048, in_index=0, channels=256,
                         dilations=(1, 12, 24, 36), num_classes=2, fusion='mul',
                         text_channels=768 if bert_config is None else
                         int(bert_config.get('hidden_size', 768)),
                         norm_cfg=norm_cfg, align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                          loss_weight=1.0, avg_non_ignore=True),
                         **THESIS_HEAD_OPTIONS),
        text_encoder=dict(type='HFTextEncoder', model_name_or_path=tokenizer,
                          model_config=dict(bert_config or dict(model_type='bert')),
                          pooling='cls', attn_implementation='eager', truncation='slice',
                          max_length=int(max_length), eval_mode=True),
        test_cfg=dict(mode='whole'))


# original prefix -> ours (longest prefix first); BN params keep their suffixes
_HEAD_PREFIXES = (
    ('classifier.aspp.convs.0.0.', 'decode_head.aspp_modules.0.conv.'),
    ('classifier.aspp.convs.0.1.', 'decode_head.aspp_modules.0.bn.'),
    ('classifier.aspp.convs.1.0.', 'decode_head.aspp_modules.1.conv.'),
    ('classifier.aspp.convs.1.1.', 'decode_head.aspp_modules.1.bn.'),
    ('classifier.aspp.convs.2.0.', 'decode_head.aspp_modules.2.conv.'),
    ('classifier.aspp.convs.2.1.', 'decode_head.aspp_modules.2.bn.'),
    ('classifier.aspp.convs.3.0.', 'decode_head.aspp_modules.3.conv.'),
    ('classifier.aspp.convs.3.1.', 'decode_head.aspp_modules.3.bn.'),
    ('classifier.aspp.convs.4.1.', 'decode_head.image_pool.1.conv.'),
    ('classifier.aspp.convs.4.2.', 'decode_head.image_pool.1.bn.'),
    ('classifier.aspp.embedding_project.0.', 'decode_head.text_proj.'),
    ('classifier.aspp.embedding_project.1.', 'decode_head.text_norm.'),
    ('classifier.aspp.project.0.', 'decode_head.bottleneck.conv.'),
    ('classifier.aspp.project.1.', 'decode_head.bottleneck.bn.'),
    ('classifier.aspp.project_final.0.', 'decode_head.post_fusion.0.conv.'),
    ('classifier.aspp.project_final.1.', 'decode_head.post_fusion.0.bn.'),
    ('classifier.conv.', 'decode_head.post_fusion.2.conv.'),
    ('classifier.bn.', 'decode_head.post_fusion.2.bn.'),
    ('classifier.conv_2.', 'decode_head.conv_seg.'),
)


def original_model_key(key: str) -> str:
    """Our RefVOS key for a key of the original ``'model'`` state_dict; KeyError if unknown."""
    if key.startswith('backbone.'):
        return key
    for old, new in _HEAD_PREFIXES:
        if key.startswith(old):
            return new + key[len(old):]
    raise KeyError(f'{key!r} is not a key of the original RefVOS model (backbone.* / '
                   'classifier.*)')


def original_bert_key(key: str) -> str:
    """Our key for a key of the original ``'bert_model'`` (a transformers ``BertModel``)."""
    return 'text_encoder.model.' + key


# 'bert_model' keys with no place in our model, on purpose: the pooler (unused, the sentence is
# the [CLS] of the last hidden state, so HFTextEncoder removes it) and the int64 position_ids
# buffer that transformers ~3.x-4.30 saved (an arange, no weight; later versions do not keep it)
BERT_DROPPED = ('pooler.', 'embeddings.position_ids')


def original_key(entry: str, key: str) -> Optional[str]:
    """Our key for ``key`` of the checkpoint's ``entry`` (``'model'`` or ``'bert_model'``);
    None for the BERT keys dropped on purpose (:data:`BERT_DROPPED`); KeyError if unknown."""
    if entry == 'model':
        return original_model_key(key)
    if entry != 'bert_model':
        raise KeyError(f'{entry!r} is not a weights entry of a RefVOS checkpoint')
    return None if key.startswith(BERT_DROPPED) else original_bert_key(key)
