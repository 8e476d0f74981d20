"""Where the configs and tool scripts are, from a checkout or from an installed package.

A checkout has ``configs/`` and ``tools/`` beside ``mmsegsup/``; a wheel carries copies of them
in ``mmsegsup/.mim/`` (``setup.py``'s ``add_mim_extension``, as OpenMMLab packages ship theirs
for ``mim``). Standard library only: the lowest layer asks this, so nothing else guesses paths.
"""
import os
import os.path as osp
from typing import Optional

PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))  # .../mmsegsup


def checkout_root() -> Optional[str]:
    """The repository this package runs from (``setup.py`` and ``configs/`` beside
    ``mmsegsup/``), or None for an installed package."""
    root = osp.dirname(PACKAGE)
    if osp.isfile(osp.join(root, 'setup.py')) and osp.isdir(osp.join(root, 'configs')):
        return root
    return None


def resource_root() -> str:
    """The folder holding ``configs/`` and ``tools/``: the checkout, else the package's
    ``.mim/``."""
    return checkout_root() or osp.join(PACKAGE, '.mim')


def tools_cwd() -> str:
    """Where the staged tools run: the checkout (the configs' relative data paths mean its
    ``data/``, as ever), else the current directory (as ``mim train`` runs them)."""
    return checkout_root() or os.getcwd()
