from .conv_lstm import ConvLSTMCell
from .recurrent_decoder import RecurrentMaskDecoder

__all__ = ['ConvLSTMCell', 'RecurrentMaskDecoder']
