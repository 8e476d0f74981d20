"""The shipped model configs as the converters' starting point.

A converted config is a config of ``configs/`` with only what the published arguments decide
changed, so the architecture is declared once (in the config files) and a converter cannot
drift from the thesis configs.
"""
import os.path as osp
from typing import Any, Dict

from mmengine.config import Config

from ...utils.resources import resource_root


def config_path(name: str) -> str:
    """``configs/<name>`` of the checkout, or of the installed package's ``.mim/``
    (:func:`~mmsegsup.utils.resources.resource_root`)."""
    path = osp.join(resource_root(), 'configs', name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: not found; the converters read the model from the '
                                "configs/ of the checkout or of the installed package's .mim/")
    return path


def derived_model(name: str, overrides: Dict[str, Any]) -> dict:
    """The ``model`` of ``configs/<name>`` with ``overrides`` (dotted keys below ``model``,
    mmengine's ``merge_from_dict``: a dict merges into the base's, anything else replaces)."""
    cfg = Config(dict(model=Config.fromfile(config_path(name)).model.to_dict()))
    cfg.merge_from_dict({f'model.{key}': value for key, value in overrides.items()})
    return cfg.model.to_dict()
