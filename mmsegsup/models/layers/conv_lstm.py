"""Convolutional LSTM cell, the recurrent unit shared by RSIS, W-RSIS and RVOS."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmsegsup.registry import MODELS
from torch import Tensor

State = Tuple[Tensor, Tensor]


@MODELS.register_module()
class ConvLSTMCell(nn.Module):
    """One ConvLSTM layer (Shi et al., 2015) with optional extra hidden inputs.

    The gates see ``[x | h | extra_1 | ... | extra_n]``. ``num_extra_hidden`` extra hidden maps
    let RVOS feed the temporal hidden state next to the spatial one (thesis eq. 3.2) without a
    second cell type; RSIS uses ``num_extra_hidden=0``.

    Args:
        in_channels: channels of the input ``x``.
        hidden_channels: channels of the hidden and cell states.
        kernel_size: size of the gate convolution.
        num_extra_hidden: how many additional hidden maps of ``hidden_channels`` are
            concatenated to the gates' input.
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3,
                 num_extra_hidden: int = 0) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_extra_hidden = num_extra_hidden
        gate_in = in_channels + hidden_channels * (1 + num_extra_hidden)
        self.gates = nn.Conv2d(gate_in, 4 * hidden_channels, kernel_size, padding=kernel_size // 2)

    def zero_state(self, x: Tensor) -> State:
        """An all-zero (h, c) pair matching ``x``'s batch and spatial size."""
        shape = (x.shape[0], self.hidden_channels, x.shape[2], x.shape[3])
        zeros = x.new_zeros(shape)
        return zeros, zeros

    def forward(self, x: Tensor, state: Optional[State] = None,
                extra_hidden: Sequence[Optional[Tensor]] = ()) -> State:
        """Advance one step; missing states and extra maps count as zeros."""
        h, c = self.zero_state(x) if state is None else state
        if len(extra_hidden) != self.num_extra_hidden:
            raise ValueError(f'ConvLSTMCell expects {self.num_extra_hidden} extra hidden maps, '
                             f'got {len(extra_hidden)}')
        extras = [h.new_zeros(h.shape) if e is None else e for e in extra_hidden]
        gates = self.gates(torch.cat([x, h, *extras], dim=1))
        i, f, o, g = gates.chunk(4, dim=1)
        c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_next = torch.sigmoid(o) * torch.tanh(c_next)
        return h_next, c_next
