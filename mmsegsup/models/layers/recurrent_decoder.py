"""Hierarchical ConvLSTM decoder that emits one mask per recurrent step (RSIS, RVOS)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmsegsup.registry import MODELS
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
        skip_channels: output channels of the skip projections, coarsest first (``None``: the
            ``hidden_channels``). Original RVOS: ``(h, h, h/2, h/4)`` for hidden ``(h, ..., h/8)``.
        proj_kernel_size: kernel of the skip projections (1; original RVOS / RSIS: ``kernel_size``).
        proj_norm: BatchNorm after each projection, no ReLU (the original's ``skN`` + ``bnN``).
        align_corners: bilinear upsampling of the hidden maps with ``align_corners=True`` (the
            original's ``UpsamplingBilinear2d``) instead of False.
        final_upsample: upsample the finest hidden map x2 before the mask conv (the original's
            masks at 1/2 of the input when the finest level is at 1/4).
        mask_kernel_size: kernel of the mask conv (1; original: ``kernel_size``, ``conv_out``).
        extra_input_mode: how the extra input (previous mask) reaches each level: ``'resize'``
            (bilinear) or ``'maxpool'`` (the original's pyramid: 2x2 ceil max-pool once, then once
            per level, coarsest level last pooled; the input is then at full image resolution).
    """

    def __init__(self, in_channels: Sequence[int], hidden_channels: Sequence[int],
                 use_levels: Optional[Sequence[int]] = None, extra_input_channels: int = 0,
                 num_extra_hidden: int = 0, kernel_size: int = 3,
                 pooling: Sequence[str] = ('max', 'mask'),
                 skip_channels: Optional[Sequence[int]] = None, proj_kernel_size: int = 1,
                 proj_norm: bool = False, align_corners: bool = False,
                 final_upsample: bool = False, mask_kernel_size: int = 1,
                 extra_input_mode: str = 'resize') -> None:
        super().__init__()
        if extra_input_mode not in ('resize', 'maxpool'):
            raise ValueError(f"extra_input_mode must be 'resize' or 'maxpool', got "
                             f'{extra_input_mode!r}')
        self.align_corners = align_corners
        self.final_upsample = final_upsample
        self.extra_input_mode = extra_input_mode
        levels = list(range(len(in_channels))) if use_levels is None else list(use_levels)
        self.levels = sorted(levels, reverse=True)  # coarsest first
        if len(hidden_channels) != len(self.levels):
            raise ValueError(f'hidden_channels has {len(hidden_channels)} entries but the decoder '
                             f'uses {len(self.levels)} encoder levels {self.levels}')
        self.hidden_channels = list(hidden_channels)
        self.extra_input_channels = extra_input_channels
        self.pooling = self._check_pooling(pooling)
        skips = list(hidden_channels) if skip_channels is None else list(skip_channels)
        self.skip_channels = skips
        if len(skips) != len(self.levels):
            raise ValueError(f'skip_channels has {len(skips)} entries, expected '
                             f'{len(self.levels)}')
        self.projections = nn.ModuleList(
            self._projection(in_channels[lvl], out, proj_kernel_size, proj_norm)
            for lvl, out in zip(self.levels, skips))
        cells = []
        for k, hid in enumerate(hidden_channels):
            cin = skips[k] + extra_input_channels + (hidden_channels[k - 1] if k > 0 else 0)
            cells.append(ConvLSTMCell(cin, hid, kernel_size, num_extra_hidden))
        self.cells = nn.ModuleList(cells)
        self.conv_mask = nn.Conv2d(hidden_channels[-1], 1, mask_kernel_size,
                                   padding=mask_kernel_size // 2)

    @staticmethod
    def _projection(cin: int, cout: int, kernel: int, norm: bool) -> nn.Module:
        """A plain conv (keys ``projections.i.*``) or conv + BN (``projections.i.{0,1}.*``)."""
        conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2)
        return nn.Sequential(conv, nn.BatchNorm2d(cout)) if norm else conv

    def extra_pyramid(self, extra: Tensor, sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
        """The extra input at every level's size, coarsest first (see ``extra_input_mode``)."""
        if self.extra_input_mode == 'resize':
            return [F.interpolate(extra, size=s, mode='bilinear', align_corners=False)
                    for s in sizes]
        pooled, out = F.max_pool2d(extra, 2, ceil_mode=True), []
        for _ in sizes:
            pooled = F.max_pool2d(pooled, 2, ceil_mode=True)
            out.append(pooled)
        out = out[::-1]
        for p, s in zip(out, sizes):
            if tuple(p.shape[-2:]) != tuple(s):
                raise ValueError(f'max-pooled previous mask is {tuple(p.shape[-2:])} at a level '
                                 f'of size {tuple(s)}: give it at the input resolution')
        return out

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
        # 'mask' pools the hidden map and the projected skip features of every level
        per_mode = dict(max=hid, mask=hid + sum(self.skip_channels), avg=hid)
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
        extras: List[Optional[Tensor]] = [None] * len(proj_feats)
        if self.extra_input_channels:
            if extra_input is None:
                raise ValueError('this decoder was built with extra_input_channels='
                                 f'{self.extra_input_channels}; pass extra_input')
            extras = self.extra_pyramid(extra_input, [f.shape[-2:] for f in proj_feats])
        for k, (cell, feat) in enumerate(zip(self.cells, proj_feats)):
            parts = [feat]
            if h_prev is not None:
                parts.insert(0, F.interpolate(h_prev, size=feat.shape[-2:], mode='bilinear',
                                              align_corners=self.align_corners))
            if extras[k] is not None:
                parts.append(extras[k])
            h, c = cell(torch.cat(parts, dim=1), None if state is None else state[k],
                        () if extra_hidden is None else extra_hidden[k])
            new_state.append((h, c))
            h_prev = h
        top = h_prev
        if self.final_upsample:
            size = (2 * h_prev.shape[-2], 2 * h_prev.shape[-1])
            top = F.interpolate(h_prev, size=size, mode='bilinear',
                                align_corners=self.align_corners)
        mask = self.conv_mask(top)
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
