"""Class tokens of W-RSIS (thesis ch. 4.6.1): the class each recurrent step is told to segment."""
from typing import Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmsegsup.registry import MODELS
from torch import Tensor


def class_tokens(labels: Tensor) -> Tensor:
    """The IL+C tokens of ground-truth ``labels``: one per instance, sorted by class."""
    return torch.sort(labels, stable=True).values


def pad_tokens(tokens: Sequence[Tensor], device: Union[str, torch.device]) -> Tensor:
    """``(B, max(1, longest))`` with -1 padding; one step at least keeps the graph alive."""
    out = torch.full((len(tokens), max([1] + [len(t) for t in tokens])), -1,
                     dtype=torch.long, device=device)
    for b, t in enumerate(tokens):
        out[b, :len(t)] = t
    return out


@MODELS.register_module()
class OneHotClassToken(nn.Module):
    """Turns each step's class token into the recurrent decoder's extra input: a one-hot of the
    class (``num_classes`` channels at 1x1, which the decoder resizes to every level, i.e.
    broadcasts spatially); a padding token (-1) gives zeros.

    One-hot rather than a learned embedding: it is the thesis's input (fig. 4.10), it adds no
    parameter or hyper-parameter, and ``num_classes`` extra input channels per ConvLSTM level
    are cheap (20 for VOC).

    Args:
        num_classes: classes a token may name (filled in by the head).
    """

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes

    @property
    def out_channels(self) -> int:
        """Channels of the decoder's extra input."""
        return self.num_classes

    def forward(self, tokens: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
        """``tokens (B, T)`` class indices, -1 for padding -> ``(B, T, C, 1, 1)``."""
        onehot = F.one_hot(tokens.clamp(min=0), self.num_classes).to(dtype)
        onehot = onehot * (tokens >= 0)[..., None]  # padding steps see no class
        return onehot[..., None, None]

    def check(self, tokens: Tensor, meta: dict) -> None:
        """Raise, naming the image, when a token is not a class index."""
        if len(tokens) and not 0 <= int(tokens.min()) <= int(tokens.max()) < self.num_classes:
            raise ValueError(f'image {meta.get("img_path")}: weak token classes '
                             f'{tokens.tolist()} outside 0..{self.num_classes - 1}')
