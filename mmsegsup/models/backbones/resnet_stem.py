"""mmdet's ResNet that also returns its stem, the 1/2 level the original RSIS decodes last."""
from typing import Tuple

from mmdet.models.backbones import ResNet
from torch import Tensor

from mmsegsup.registry import MODELS


@MODELS.register_module()
class ResNetWithStem(ResNet):
    """``ResNet`` whose outputs start with the stem, ``relu(bn1(conv1(x)))`` before the max-pool.

    The original RSIS (imatge-upc/rsis, modules/vision.py) decodes five levels, conv1's output at
    1/2 included; mmdet's ResNet returns only its stages. The weights and their names are
    ResNet's own, so torchvision / published checkpoints load unchanged; the outputs are
    ``(stem, *stages at out_indices)``, finest first, with ``stem_channels`` channels for the
    stem (64 for every torchvision depth).
    """

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        stem = self.stem(x) if self.deep_stem else self.relu(self.norm1(self.conv1(x)))
        x = self.maxpool(stem)
        outs = [stem]
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
