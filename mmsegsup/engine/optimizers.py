"""Optimizer parameter lists of the original codes that MMEngine's constructor does not build."""
from typing import List, Optional, Sequence

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ModuleWalkOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """MMEngine's default constructor, except that every parameter under one of
    ``walk_prefixes`` is listed once per module level that holds it, below the prefix.

    imatge-upc/rvos and imatge-upc/rsis give the encoder's optimiser the parameters of
    ``get_base_params`` (utils/utils.py:34-52), which walks ``for m in block.modules(): for p
    in m.parameters()`` over the ResNet's ``conv1, bn1, layer1 ... layer4``. ``parameters()``
    recurses, so ``layer1.0.conv1.weight`` is listed by ``layer1``, ``layer1.0`` and
    ``layer1.0.conv1``: three times. torch's Adam then updates it three times per step (its
    step count too), which is what the published models were trained with. Under a prefix
    ``p``, a parameter named ``p.a.b.c`` is listed ``len(['a', 'b', 'c']) - 1`` times (twice:
    ``p.a``, ``p.a.b``); a parameter directly in a listed block (``p.conv1.weight``) once.

    Args:
        walk_prefixes: module name prefixes (e.g. ``('backbone', )``) walked as above; the
            other parameters are listed once, as MMEngine lists them.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None,
                 walk_prefixes: Sequence[str] = ('backbone', )) -> None:
        # An empty paramwise_cfg would make MMEngine pass model.parameters() as one list and
        # skip add_params, where the lists are built.
        super().__init__(optim_wrapper_cfg, paramwise_cfg or dict(custom_keys={}))
        self.walk_prefixes = tuple(p.rstrip('.') + '.' for p in walk_prefixes)

    def levels(self, name: str) -> int:
        """How many times ``get_base_params``'s walk lists the parameter ``name``."""
        for prefix in self.walk_prefixes:
            if name.startswith(prefix):
                return max(1, len(name[len(prefix):].split('.')) - 1)
        return 1

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module=None) -> None:
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix:  # the recursion of the default constructor: expand once, at the top
            return
        names = {id(p): n for n, p in module.named_parameters()}
        for group in params:
            group['params'] = [p for p in group['params']
                               for _ in range(self.levels(names[id(p)]))]
