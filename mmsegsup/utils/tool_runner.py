"""Run a tool's ``main(argv)`` inside this process, as a subprocess would.

A tool is a module (``'mmsegsup.cli.train'``, what the package's drivers run) or a script
path (``tools/budget.py``, relative to the checkout or the installed package's ``.mim/``,
:mod:`mmsegsup.utils.resources`). A fresh ``python -m mmsegsup.cli.train`` pays several
seconds of imports before its first step; the staged drivers (BASIS, active learning) and
the tests run many short tools, so they can call ``run_tool`` instead. The output is
captured and the process-wide state a run leaves behind (MMEngine's current scope, loggers,
message hub and visualizers, the RNG states, the deterministic-algorithms flag,
``os.environ``, ``sys.argv`` and the working directory) is put back afterwards, so
consecutive runs see what separate processes would see.
"""
import contextlib
import importlib
import importlib.util
import io
import logging
import os
import os.path as osp
import random
import subprocess
import sys
import traceback
from collections import OrderedDict
from types import ModuleType
from typing import Dict, Iterator, List

from .resources import resource_root, tools_cwd

_TOOLS: Dict[str, ModuleType] = {}


def is_script(tool: str) -> bool:
    """A file path (``tools/x.py``) rather than a module name (``mmsegsup.cli.x``)."""
    return tool.endswith('.py') or os.sep in tool


def _load_script(script: str) -> ModuleType:
    """A tool script (absolute, or relative to the checkout / ``.mim``) imported once."""
    root = resource_root()
    path = script if osp.isabs(script) else osp.join(root, script)
    if path not in _TOOLS:
        if not osp.isfile(path):
            raise FileNotFoundError(f'tool script {script} not found (looked at {path})')
        name = '_tool_' + osp.splitext(osp.relpath(path, root))[0].replace(os.sep, '_')
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _TOOLS[path] = module
    return _TOOLS[path]


def load_tool(tool: str) -> ModuleType:
    """The module of a tool (a module name or a script path) with its ``main(argv)``."""
    module = _load_script(tool) if is_script(tool) else importlib.import_module(tool)
    if not callable(getattr(module, 'main', None)):
        raise AttributeError(f'{tool} has no main(argv) to call in-process')
    return module


def run_tool(tool: str, argv: List[str]) -> subprocess.CompletedProcess:
    """``python tool *argv`` (``python -m tool *argv`` for a module) in this process:
    ``main(argv)`` with stdout / stderr captured; an uncaught exception prints its traceback
    and gives return code 1, ``SystemExit`` its code, an int returned by ``main`` the code,
    anything else 0."""
    main = load_tool(tool).main
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with isolated_run(out, err):
        try:
            ret = main(list(argv))
            code = ret if isinstance(ret, int) else 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except Exception:  # noqa: BLE001  (a script's uncaught error: traceback, exit 1)
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess([tool, *argv], code, out.getvalue(), err.getvalue())


def _manager_classes() -> list:
    """Every class with MMEngine's global-instance bookkeeping (scope, logger, hub, ...)."""
    from mmengine.utils import ManagerMixin
    found, stack = [], [ManagerMixin]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


@contextlib.contextmanager
def isolated_run(out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    """Send the output to ``out`` / ``err`` and restore what a tool run changes globally."""
    import numpy as np
    import torch
    from mmengine.logging import MMLogger
    managers = {cls: OrderedDict(cls._instance_dict) for cls in _manager_classes()}
    streams = [(h, h.stream) for lg in MMLogger._instance_dict.values() for h in lg.handlers
               if type(h) is logging.StreamHandler]
    rng = (random.getstate(), np.random.get_state(), torch.get_rng_state(),
           torch.are_deterministic_algorithms_enabled())
    environ, cwd, argv = dict(os.environ), os.getcwd(), sys.argv
    os.chdir(tools_cwd())
    try:
        for handler, stream in streams:  # messages of loggers made before the run, too
            if getattr(stream, 'closed', False):
                # made while a since-closed stream was sys.stdout (pytest's capsys): setStream
                # would flush it and fail
                handler.stream = out
            else:
                handler.setStream(out)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        os.chdir(cwd)
        sys.argv = argv
        os.environ.clear()
        os.environ.update(environ)
        random.setstate(rng[0])
        np.random.set_state(rng[1])
        torch.set_rng_state(rng[2])
        torch.use_deterministic_algorithms(rng[3])
        for handler, stream in streams:
            handler.setStream(stream)
        for cls in _manager_classes():
            before = managers.get(cls, {})
            for name, inst in list(cls._instance_dict.items()):
                if name not in before and isinstance(inst, logging.Logger):
                    for handler in inst.handlers:  # the run's log files
                        handler.close()
            cls._instance_dict.clear()
            cls._instance_dict.update(before)
