from .class_token import OneHotClassToken, class_tokens, pad_tokens
from .conv_lstm import ConvLSTMCell
from .recurrent_decoder import RecurrentMaskDecoder

__all__ = ['OneHotClassToken', 'class_tokens', 'pad_tokens', 'ConvLSTMCell',
           'RecurrentMaskDecoder']
