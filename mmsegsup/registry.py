"""mmsegsup's registries, in mmdet's style: children of mmdet's and mmseg's, filled on first use.

Two families, one stated scope each:

- ``'mmsegsup'``: children of mmdet's registries (RSIS, W-RSIS, IoU-W-RSIS, RVOS, their datasets,
  transforms, metrics). Configs say ``default_scope = 'mmsegsup'`` and reach every mmdet module
  through the parent.
- ``'mmsegsup_seg'``: children of mmseg's registries (RefVOS, referring and semantic datasets,
  referring metrics). Configs say ``default_scope = 'mmsegsup_seg'``.

Each child lists ``locations`` (our package that registers into it) and, before importing them,
imports its parent's locations, so ``import mmsegsup`` costs no more than importing mmdet's and
mmseg's registries: models, datasets and metrics load when a config first builds one. Hooks and
the text encoder register in MMEngine's root registries (every scope sees them); the children of
both families list their packages so they load on first build too. Nothing here sets a
process-wide default scope.
"""
import sys
import types
from typing import Any, Dict, List

import mmdet.registry as _mmdet
import mmseg.registry as _mmseg
from mmengine.registry import DefaultScope, Registry

DET_SCOPE = 'mmsegsup'
SEG_SCOPE = 'mmsegsup_seg'


class _ChildRegistry(Registry):
    """A child registry that imports its parent's locations before its own.

    mmengine's ``Registry.get`` searches the parents' dicts but imports only the child's own
    locations; without this a child built first (before any mmdet / mmseg model) would not
    see the parent's modules.
    """

    def import_from_location(self) -> None:
        if not self._imported and self.parent is not None:
            self.parent.import_from_location()
        super().import_from_location()

    def build(self, cfg: dict, *args, **kwargs) -> Any:
        """Build in this registry's scope unless the default scope already leads here.

        Modules built here build their parts through MMEngine's root registries (a detector's
        data preprocessor, for one), which resolve names by the default scope: with none, or
        with another family's (mmseg's while building RSIS), they would miss or mistake
        modules. The default scope is kept when it is ours or a scope below ours (a user's
        child registries); the scope is set for this call only.
        """
        current = DefaultScope.get_current_instance()
        keep = current is not None and self._search_child(current.scope_name) is not None
        scope = None if keep else self.scope
        with DefaultScope.overwrite_default_scope(scope):
            return super().build(cfg, *args, **kwargs)


# Which of our packages fill which registry (by mmdet / mmseg registry name); one list serves
# both families because ``mmsegsup.models`` (etc.) registers the parts of both.
_LOCATIONS: Dict[str, List[str]] = {
    'model': ['mmsegsup.models'],
    'task util': ['mmsegsup.models'],
    'dataset': ['mmsegsup.datasets'],
    'transform': ['mmsegsup.datasets'],
    'metric': ['mmsegsup.evaluation.metrics'],
    'hook': ['mmsegsup.engine', 'mmsegsup.basis'],  # basis: PseudoLabelHook
    'loop': ['mmsegsup.engine'],
    'parameter scheduler': ['mmsegsup.engine'],
    'optimizer constructor': ['mmsegsup.engine'],
}


def _children(parents: types.ModuleType, scope: str,
              locations: Dict[str, List[str]]) -> Dict[str, Registry]:
    """One child for every registry the parent module defines, keyed by its constant name."""
    out = {}
    for name in dir(parents):
        parent = getattr(parents, name)
        if name.isupper() and isinstance(parent, Registry):
            out[name] = _ChildRegistry(parent.name, parent=parent, scope=scope,
                                       locations=locations.get(parent.name, []))
    return out


_det = _children(_mmdet, DET_SCOPE, _LOCATIONS)
_seg = _children(_mmseg, SEG_SCOPE, _LOCATIONS)

# mmsegsup scope (mmdet family)
RUNNERS = _det['RUNNERS']
RUNNER_CONSTRUCTORS = _det['RUNNER_CONSTRUCTORS']
LOOPS = _det['LOOPS']
HOOKS = _det['HOOKS']
DATASETS = _det['DATASETS']
DATA_SAMPLERS = _det['DATA_SAMPLERS']
TRANSFORMS = _det['TRANSFORMS']
MODELS = _det['MODELS']
MODEL_WRAPPERS = _det['MODEL_WRAPPERS']
WEIGHT_INITIALIZERS = _det['WEIGHT_INITIALIZERS']
OPTIMIZERS = _det['OPTIMIZERS']
OPTIM_WRAPPERS = _det['OPTIM_WRAPPERS']
OPTIM_WRAPPER_CONSTRUCTORS = _det['OPTIM_WRAPPER_CONSTRUCTORS']
PARAM_SCHEDULERS = _det['PARAM_SCHEDULERS']
METRICS = _det['METRICS']
EVALUATOR = _det['EVALUATOR']
TASK_UTILS = _det['TASK_UTILS']
VISUALIZERS = _det['VISUALIZERS']
VISBACKENDS = _det['VISBACKENDS']
LOG_PROCESSORS = _det['LOG_PROCESSORS']

# mmsegsup_seg scope (mmseg family): the registries our modules register into
SEG_MODELS = _seg['MODELS']
SEG_DATASETS = _seg['DATASETS']
SEG_TRANSFORMS = _seg['TRANSFORMS']
SEG_METRICS = _seg['METRICS']
SEG_HOOKS = _seg['HOOKS']

# MMEngine looks a scope's registries up by importing ``<scope>.registry``; the seg family's
# scope is not a package of its own, so it names this module.
if f'{SEG_SCOPE}.registry' not in sys.modules:
    _alias = types.ModuleType(SEG_SCOPE, 'Alias of mmsegsup.registry for the mmsegsup_seg scope.')
    _alias.registry = sys.modules[__name__]
    sys.modules[SEG_SCOPE] = _alias
    sys.modules[f'{SEG_SCOPE}.registry'] = sys.modules[__name__]

__all__ = [
    'DET_SCOPE', 'SEG_SCOPE', 'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS',
    'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS', 'SEG_MODELS',
    'SEG_DATASETS', 'SEG_TRANSFORMS', 'SEG_METRICS', 'SEG_HOOKS'
]
