"""The stage driver of the multi-stage experiments (BASIS, active learning).

Every stage runs a standard tool (:mod:`mmsegsup.cli`: ``train``, ``test``, ...) on a config
dumped under the run folder, so a step can be rerun by hand (``tools/train.py CONFIG`` in a
checkout, ``python -m mmsegsup.cli.train CONFIG`` anywhere): in a subprocess
(``tool_process = True``, the default; ``python -m``, so an installed package needs no
repository) or through the tool's ``main(argv)`` in this process
(:mod:`mmsegsup.utils.tool_runner`). Tools run in the checkout, or in the current directory
when the package is installed (:func:`~mmsegsup.utils.resources.tools_cwd`). Results come
back through the files the tools write, never their printed output: the last checkpoint
MMEngine's runner names in ``last_checkpoint``, the test metrics its ``LoggerHook`` dumps to
``<work_dir>/<timestamp>/<timestamp>.json``. A finished stage leaves ``stages/<name>.json``
with its outputs; rerunning skips finished stages and trainings resume from their last
checkpoint, after :func:`ensure_resumable` has checked that it is whole (MMEngine writes
checkpoints in place: a process killed while saving leaves a truncated one). Which process or
machine runs a stage is the business of :mod:`mmsegsup.apis.executors`.
"""
import copy
import ctypes
import ctypes.util
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import re
import time
import zipfile
from typing import Callable, List, Optional

from mmengine.config import Config

from ..utils.io import dump_json_atomic, write_text_atomic
from ..utils.resources import resource_root, tools_cwd
from ..utils.tool_runner import run_tool


LAUNCHERS = ('none', 'pytorch')


def find_config(path: str, owner: str, key: str) -> str:
    """``path`` as given, relative to the checkout (the installed package's ``.mim/``) or to
    ``owner``'s folder (the first that exists), with an error naming ``owner`` and ``key`` when
    none does."""
    here = osp.dirname(osp.abspath(owner))
    tried = [path] if osp.isabs(path) else [osp.abspath(path), osp.join(resource_root(), path),
                                            osp.join(here, path)]
    found = [p for p in tried if osp.isfile(p)]
    if not found:
        raise FileNotFoundError(f'{owner}: {key} config {path} not found (tried '
                                f'{", ".join(tried)})')
    return osp.abspath(found[0])


def _die_with_parent() -> Optional[Callable[[], None]]:
    """On Linux, what makes a tool process die with the process that started it: a killed
    executor worker must not leave its training running beside the retry that replaces it."""
    if not sys.platform.startswith('linux'):
        return None
    prctl = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True).prctl  # before fork
    return lambda: prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


class StagedRun:
    """Stage bookkeeping shared by the pipeline drivers; subclasses set ``run_dir``."""

    run_dir: str
    log: Callable[[str], None] = print
    tag = 'run'
    tool_process = True
    launcher = 'none'
    nproc = 1

    @staticmethod
    def _train_dataset(cfg: Config):
        """Build a config's training set once (generating synthetic data if needed)."""
        from mmengine.registry import DATASETS, DefaultScope
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmsegsup')):
            return DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))

    @staticmethod
    def _with_ann(dataset: dict, ann_file: str) -> dict:
        """A copy of a dataset config reading ``ann_file``."""
        dataset = copy.deepcopy(dataset)
        dataset['ann_file'] = ann_file
        return dataset

    def _marker(self, name: str) -> str:
        return osp.join(self.run_dir, 'stages', f'{name}.json')

    def done(self, name: str) -> dict:
        """The outputs of a finished stage (for a unit that continues another unit's work)."""
        with open(self._marker(name)) as f:
            return json.load(f)

    def stage(self, name: str, fn: Callable[[], dict]) -> dict:
        marker = self._marker(name)
        if osp.isfile(marker):
            self.log(f'[{self.tag}] {name}: done before, skipped')
            return self.done(name)
        self.log(f'[{self.tag}] {name} ...')
        out = fn()
        dump_json_atomic(out, marker)
        return out

    def tool(self, args: List[str], process: bool = False) -> str:
        """Run the tool module ``args[0]`` (``mmsegsup.cli.<name>``) with ``args[1:]`` (in a
        process of its own with ``process`` or ``tool_process``)."""
        if self.tool_process or process:
            proc = subprocess.run([sys.executable, '-m', *args], cwd=tools_cwd(),
                                  capture_output=True, text=True,
                                  preexec_fn=_die_with_parent())
        else:
            proc = run_tool(args[0], args[1:])
        if proc.returncode != 0:
            raise RuntimeError(f'{" ".join(args)} failed ({proc.returncode}):\n'
                               f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
        return proc.stdout + proc.stderr

    def configure(self, settings: dict) -> None:
        """How the tools run, from a driver's settings: ``tool_process``, and ``launcher``
        ('none', or 'pytorch': each training is a torchrun of as many processes as the unit
        has GPUs, else CPUs, in ``resources``)."""
        if settings['launcher'] not in LAUNCHERS:
            raise ValueError(f'launcher must be one of {LAUNCHERS}, got '
                             f'{settings["launcher"]!r}')
        self.tool_process = bool(settings['tool_process'])
        self.launcher = settings['launcher']
        res = settings['resources']
        self.nproc = max(1, int(res.get('num_gpus') or res.get('num_cpus', 1)))

    def _dump(self, cfg: Config, name: str, folder: str = '') -> str:
        path = osp.join(folder or self.run_dir, 'configs', f'{name}.py')
        os.makedirs(osp.dirname(path), exist_ok=True)
        write_text_atomic(cfg.pretty_text, path)
        return path

    @staticmethod
    def _last_checkpoint(work: str) -> str:
        with open(osp.join(work, 'last_checkpoint')) as f:
            return f.read().strip()

    def train_tool(self, config: str, work: str) -> dict:
        """:mod:`mmsegsup.cli.train` (resuming an interrupted run) -> config and last
        checkpoint."""
        ensure_resumable(work, self.log)
        args = ['mmsegsup.cli.train', config, '--work-dir', work, '--resume']
        if self.launcher == 'pytorch':  # --standalone: a free port per run, parallel units
            args = ['torch.distributed.run', '--standalone', '--nproc_per_node',
                    str(self.nproc), '-m', *args, '--launcher', 'pytorch']
        self.tool(args, process=self.launcher == 'pytorch')
        return dict(config=config, checkpoint=self._last_checkpoint(work))

    def test_tool(self, model: dict, work: str, metric: str) -> float:
        """:mod:`mmsegsup.cli.test` on a trained model; ``metric`` from the metrics file it
        wrote."""
        start = time.time()
        self.tool(['mmsegsup.cli.test', model['config'], model['checkpoint'], '--work-dir', work])
        return read_test_metric(work, metric, since=start)


CHECKPOINT = re.compile(r'(?:iter|epoch)_(\d+)\.pth$')


def checkpoint_is_whole(path: str) -> bool:
    """Whether ``path`` is a complete ``torch.save`` file: its zip directory, written last,
    is there (cheap: no tensor is read)."""
    try:
        with zipfile.ZipFile(path) as z:
            return bool(z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def ensure_resumable(work: str, log: Callable[[str], None] = print) -> Optional[str]:
    """Make ``work/last_checkpoint`` name a whole checkpoint before MMEngine resumes from it:
    a truncated or missing one (a process killed while saving) is replaced by the newest whole
    ``iter_*.pth`` / ``epoch_*.pth``, or removed when there is none (training restarts).
    Returns the checkpoint the training will resume from."""
    pointer = osp.join(work, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        named = f.read().strip()
    if named and checkpoint_is_whole(named):
        return named
    found = sorted((int(m.group(1)), p) for p in glob.glob(osp.join(work, '*.pth'))
                   if (m := CHECKPOINT.search(osp.basename(p))))
    whole = [p for _, p in reversed(found) if checkpoint_is_whole(p)]
    for _, path in found:
        if path not in whole:
            os.remove(path)  # a rerun must not trust it (MMEngine would save over it anyway)
    if whole:
        write_text_atomic(whole[0], pointer)
        log(f'[stages] {work}: checkpoint {named or "(empty name)"} is not whole; resuming '
            f'from {whole[0]}')
        return whole[0]
    os.remove(pointer)
    log(f'[stages] {work}: checkpoint {named or "(empty name)"} is not whole and no other '
        'is; training restarts')
    return None


def read_test_metric(work: str, metric: str, since: float = 0.0) -> float:
    """``metric`` of the newest test run under ``work``: MMEngine's ``LoggerHook`` dumps a
    test's metrics to ``<work>/<timestamp>/<timestamp>.json`` (files older than ``since``, from
    an earlier run, are ignored)."""
    found = [p for p in glob.glob(osp.join(work, '*', '*.json'))
             if osp.basename(osp.dirname(p)) == osp.splitext(osp.basename(p))[0]
             and osp.getmtime(p) >= since - 1.0]
    if not found:
        raise FileNotFoundError(f'{work}: no <timestamp>/<timestamp>.json of a test run (the '
                                "config's default_hooks need MMEngine's LoggerHook)")
    path = max(found, key=osp.getmtime)
    with open(path) as f:
        metrics = json.load(f)
    if metric not in metrics:
        keys = ', '.join(k for k in metrics if k not in ('time', 'data_time', 'step'))
        raise KeyError(f'{path} has no {metric!r}: set the metric to one of {keys}')
    return float(metrics[metric])
