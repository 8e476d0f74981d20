"""The repository's model configs as the converters' starting point.

A converted config is a config of ``configs/`` with only what the published arguments decide
changed, so the architecture is declared once (in the config files) and a converter cannot
drift from the thesis configs.
"""
import os.path as osp
from typing import Any, Dict

from mmengine.config import Config

# mmsegsup/models/converters/ -> the checkout holding mmsegsup/ and configs/
_REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def config_path(name: str) -> str:
    """``configs/<name>`` of the checkout; the one place that knows where configs live (to
    change when they ship inside the package)."""
    path = osp.join(_REPO, 'configs', name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: not found; the converters read the model from the '
                                "configs/ folder beside the mmsegsup package (a checkout's)")
    return path


def derived_model(name: str, overrides: Dict[str, Any]) -> dict:
    """The ``model`` of ``configs/<name>`` with ``overrides`` (dotted keys below ``model``,
    mmengine's ``merge_from_dict``: a dict merges into the base's, anything else replaces)."""
    cfg = Config(dict(model=Config.fromfile(config_path(name)).model.to_dict()))
    cfg.merge_from_dict({f'model.{key}': value for key, value in overrides.items()})
    return cfg.model.to_dict()
