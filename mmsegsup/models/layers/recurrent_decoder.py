"""Hierarchical ConvLSTM decoder that emits one mask per recurrent step (RSIS, RVOS)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor

from .conv_lstm import ConvLSTMCell, State


@MODELS.register_module()
class RecurrentMaskDecoder(nn.Module):
    """Coarse-to-fine stack of ConvLSTMs fed by skip connections from the encoder.

    Level ``k`` (0 = coarsest) receives ``[up2(h_{k-1}) | proj_k(f_k) | extra]`` and its own
    state from the previous step, so each call of :meth:`step` segments one more object while the
    hidden state remembers which objects were already covered (thesis sec. 3.3.1, eq. 3.1-3.3).

    Args:
        in_channels: channels of the encoder levels, finest first (as mmdet backbones return).
        hidden_channels: ConvLSTM channels per decoder level, coarsest first; one per used level.
        use_levels: indices into the encoder outputs that feed the decoder; ``None`` uses all.
            RVOS drops the finest level (``use_levels=(1, 2, 3)``) to save memory.
        extra_input_channels: channels appended to every level's input (1 for the previous mask
            in one-shot RVOS); resized to each level's resolution.
        num_extra_hidden: extra hidden maps per cell (1 for the temporal state of RVOS).
        kernel_size: ConvLSTM gate kernel size.
        pooling: how the branches' feature is pooled from every level: ``'max'`` takes the
            global max of the hidden map (original RSIS); ``'mask'`` averages the hidden map
            and the projected encoder features under this step's predicted mask (detached),
            which tells the class branch *which* object the step segments; ``'avg'`` is the
            global average of the hidden map (the IoU branch of IoU-W-RSIS, thesis fig. 5.2).
            Several may be given.
    """

    def __init__(self, in_channels: Sequence[int], hidden_channels: Sequence[int],
                 use_levels: Optional[Sequence[int]] = None, extra_input_channels: int = 0,
                 num_extra_hidden: int = 0, kernel_size: int = 3,
                 pooling: Sequence[str] = ('max', 'mask')) -> None:
        super().__init__()
        levels = list(range(len(in_channels))) if use_levels is None else list(use_levels)
        self.levels = sorted(levels, reverse=True)  # coarsest first
        if len(hidden_channels) != len(self.levels):
            raise ValueError(f'hidden_channels has {len(hidden_channels)} entries but the decoder '
                             f'uses {len(self.levels)} encoder levels {self.levels}')
        self.hidden_channels = list(hidden_channels)
        self.extra_input_channels = extra_input_channels
        self.pooling = self._check_pooling(pooling)
        self.projections = nn.ModuleList(
            nn.Conv2d(in_channels[lvl], hid, 1) for lvl, hid in zip(self.levels, hidden_channels))
        cells = []
        for k, hid in enumerate(hidden_channels):
            cin = hid + extra_input_channels + (hidden_channels[k - 1] if k > 0 else 0)
            cells.append(ConvLSTMCell(cin, hid, kernel_size, num_extra_hidden))
        self.cells = nn.ModuleList(cells)
        self.conv_mask = nn.Conv2d(hidden_channels[-1], 1, 1)

    POOLING_MODES = ('max', 'mask', 'avg')

    @classmethod
    def _check_pooling(cls, pooling: Sequence[str]) -> Tuple[str, ...]:
        unknown = set(pooling) - set(cls.POOLING_MODES)
        if unknown or not pooling:
            raise ValueError(f'pooling must be a non-empty subset of {cls.POOLING_MODES}, '
                             f'got {pooling}')
        return tuple(pooling)

    @property
    def pooled_channels(self) -> int:
        """Length of the pooled multi-resolution feature returned by :meth:`step`."""
        return self.pooled_channels_of(self.pooling)

    def pooled_channels_of(self, modes: Sequence[str]) -> int:
        """Length of the feature :meth:`pool` returns for ``modes``."""
        hid = sum(self.hidden_channels)
        per_mode = dict(max=hid, mask=2 * hid, avg=hid)
        return sum(per_mode[m] for m in self._check_pooling(modes))

    def project(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Project the encoder levels once per image; reused by every recurrent step."""
        return [proj(feats[lvl]) for proj, lvl in zip(self.projections, self.levels)]

    def step(self, proj_feats: Sequence[Tensor], state: Optional[Sequence[State]] = None,
             extra_input: Optional[Tensor] = None,
             extra_hidden: Optional[Sequence[Sequence[Optional[Tensor]]]] = None
             ) -> Tuple[Tensor, Tensor, List[State]]:
        """Run one recurrent step through all levels.

        Returns:
            mask logits ``(B, 1, H_f, W_f)`` at the finest used level, the pooled feature
            ``(B, pooled_channels)`` (see ``pooling``) for
            the class / box / stop branches, and the new per-level states.
        """
        new_state: List[State] = []
        h_prev: Optional[Tensor] = None
        for k, (cell, feat) in enumerate(zip(self.cells, proj_feats)):
            parts = [feat]
            if h_prev is not None:
                parts.insert(0, F.interpolate(h_prev, size=feat.shape[-2:], mode='bilinear',
                                              align_corners=False))
            if self.extra_input_channels:
                if extra_input is None:
                    raise ValueError('this decoder was built with extra_input_channels='
                                     f'{self.extra_input_channels}; pass extra_input')
                parts.append(F.interpolate(extra_input, size=feat.shape[-2:], mode='bilinear',
                                           align_corners=False))
            h, c = cell(torch.cat(parts, dim=1), None if state is None else state[k],
                        () if extra_hidden is None else extra_hidden[k])
            new_state.append((h, c))
            h_prev = h
        mask = self.conv_mask(h_prev)
        return mask, self.pool(proj_feats, new_state, mask, self.pooling), new_state

    def pool(self, proj_feats: Sequence[Tensor], state: Sequence[State], mask: Tensor,
             modes: Sequence[str]) -> Tensor:
        """Pool every level of one step into a ``(B, pooled_channels_of(modes))`` feature."""
        pooled = []
        if 'max' in modes:
            pooled += [torch.amax(h, dim=(2, 3)) for h, _ in state]
        if 'avg' in modes:
            pooled += [h.mean(dim=(2, 3)) for h, _ in state]
        if 'mask' in modes:
            prob = mask.detach().sigmoid()
            for (h, _), feat in zip(state, proj_feats):
                weight = F.adaptive_avg_pool2d(prob, feat.shape[-2:])
                norm = weight.sum(dim=(2, 3)).clamp(min=1e-6)
                pooled += [(h * weight).sum(dim=(2, 3)) / norm,
                           (feat * weight).sum(dim=(2, 3)) / norm]
        return torch.cat(pooled, dim=1)
