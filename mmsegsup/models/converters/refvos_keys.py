"""Key map from the original RefVOS code's checkpoint to our RefVOS (issue 14).

The original (miriambellver/refvos) is torchvision's ``deeplabv3_resnet101`` with its
``DeepLabHeadEmb``. Its ResNet-101 with ``replace_stride_with_dilation=[False, True, True]`` is
mmseg's ``ResNet`` (not V1c) with ``style='pytorch'``, ``strides=(1, 2, 1, 1)``,
``dilations=(1, 1, 2, 4)``, ``contract_dilation=True``: same 7x7 stem, stride on conv2, first
block of layer3/4 at half dilation, and the same parameter names, so ``backbone.*`` keys map
unchanged. The head maps onto ``RefASPPHead`` with the thesis-exact options of
``configs/_base_/models/refvos_r101.py``; the BERT onto ``HFTextEncoder``'s ``model``.
"""
from typing import Optional

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

# 'bert_model' keys with no place in our model, on purpose: the pooler (unused, the sentence is
# the [CLS] of the last hidden state, so HFTextEncoder removes it) and the int64 position_ids
# buffer that transformers ~3.x-4.30 saved (an arange, no weight; later versions do not keep it)
BERT_DROPPED = ('pooler.', 'embeddings.position_ids')


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


def original_key(entry: str, key: str) -> Optional[str]:
    """Our key for ``key`` of the checkpoint's ``entry`` (``'model'`` or ``'bert_model'``);
    None for the BERT keys dropped on purpose (:data:`BERT_DROPPED`); KeyError if unknown."""
    if entry == 'model':
        return original_model_key(key)
    if entry != 'bert_model':
        raise KeyError(f'{entry!r} is not a weights entry of a RefVOS checkpoint')
    return None if key.startswith(BERT_DROPPED) else original_bert_key(key)
