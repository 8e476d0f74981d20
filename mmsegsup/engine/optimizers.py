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

    ``paramwise_cfg`` takes MMEngine's keys plus ``walk_prefixes``: the module name prefixes
    walked as above (default ``('backbone', )``); the other parameters are listed once, as
    MMEngine lists them. (``build_optim_wrapper`` hands a constructor only
    ``optim_wrapper_cfg`` and ``paramwise_cfg``, so that is where a config can set it.)
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        prefixes: Sequence[str] = paramwise_cfg.pop('walk_prefixes', ('backbone', ))
        if isinstance(prefixes, str) or not all(isinstance(p, str) and p for p in prefixes):
            raise ValueError(f'paramwise_cfg.walk_prefixes must be a list of module name '
                             f'prefixes, got {prefixes!r}')
        # An empty paramwise_cfg would make MMEngine pass model.parameters() as one list and
        # skip add_params, where the lists are built.
        super().__init__(optim_wrapper_cfg, paramwise_cfg or dict(custom_keys={}))
        self.walk_prefixes = tuple(p.rstrip('.') + '.' for p in prefixes)

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
