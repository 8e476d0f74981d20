"""Monte-Carlo dropout, the uncertainty baseline of thesis 5.4.2 (Gal & Ghahramani)."""
from typing import List

import torch
import torch.nn as nn
from torch import Tensor

DROPOUT_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)


def enable_mc_dropout(model: nn.Module) -> int:
    """Switch only the dropout layers of an eval-mode model to training mode, so that repeated
    passes sample different sub-networks while BatchNorm keeps its statistics; returns how many
    layers were switched (an error when none: the model was built without dropout)."""
    layers = [m for m in model.modules() if isinstance(m, DROPOUT_TYPES) and m.p > 0]
    if not layers:
        raise ValueError('MC-dropout needs dropout layers; build the model with '
                         'model.head.encoder_dropout=0.5 (dropout after the encoder)')
    for layer in layers:
        layer.train()
    return len(layers)


def pixel_std(passes: List[Tensor]) -> float:
    """Mean over pixels (and steps) of the standard deviation across passes of the predicted
    per-step masks; each pass gives ``(T_k, H, W)`` masks, missing steps count as empty."""
    if len(passes) < 2:
        raise ValueError(f'MC-dropout needs at least 2 passes, got {len(passes)}')
    steps = max(p.shape[0] for p in passes)
    if steps == 0:
        return 0.0
    h, w = passes[0].shape[-2:]
    stack = torch.zeros(len(passes), steps, h, w)
    for k, p in enumerate(passes):
        stack[k, :p.shape[0]] = p.float().cpu()
    return float(stack.std(dim=0, unbiased=False).mean())
