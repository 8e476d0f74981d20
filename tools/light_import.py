"""Import one ``mmsegsup`` module without running the package ``__init__`` files.

``import mmsegsup`` registers every model, dataset and metric (torch, mmdet, mmseg: seconds of
imports). Command-line tools that only score PNG folders, price annotations or convert label
files need none of that, so they load the one module they use under a private package name
(``_mmsegsup_light``) whose packages are bare stand-ins pointing at the repository's folders:
relative imports inside the module resolve to the real files, and a real ``import mmsegsup``
in the same process is unaffected.
"""
import importlib
import os
import os.path as osp
import sys
import types

ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'mmsegsup')
PACKAGE = '_mmsegsup_light'


def import_light(module: str) -> types.ModuleType:
    """``mmsegsup.<module>`` (e.g. ``'evaluation.davis_eval'``) with stand-in packages."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        if '__init__.py' not in files:
            continue
        rel = osp.relpath(folder, ROOT)
        name = PACKAGE if rel == '.' else f'{PACKAGE}.{rel.replace(os.sep, ".")}'
        if name not in sys.modules:
            stand_in = types.ModuleType(name)
            stand_in.__path__ = [folder]
            sys.modules[name] = stand_in
    return importlib.import_module(f'{PACKAGE}.{module}')
