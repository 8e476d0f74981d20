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
checkpoint.
"""
import copy
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Callable, List

from mmengine.config import Config

from ..utils.io import dump_json_atomic, write_text_atomic
from ..utils.resources import resource_root, tools_cwd
from ..utils.tool_runner import run_tool


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


class StagedRun:
    """Stage bookkeeping shared by the pipeline drivers; subclasses set ``run_dir``."""

    run_dir: str
    log: Callable[[str], None] = print
    tag = 'run'
    tool_process = True

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

    def stage(self, name: str, fn: Callable[[], dict]) -> dict:
        marker = osp.join(self.run_dir, 'stages', f'{name}.json')
        if osp.isfile(marker):
            with open(marker) as f:
                self.log(f'[{self.tag}] {name}: done before, skipped')
                return json.load(f)
        self.log(f'[{self.tag}] {name} ...')
        out = fn()
        dump_json_atomic(out, marker)
        return out

    def tool(self, args: List[str]) -> str:
        """Run the tool module ``args[0]`` (``mmsegsup.cli.<name>``) with ``args[1:]``."""
        if self.tool_process:
            proc = subprocess.run([sys.executable, '-m', *args], cwd=tools_cwd(),
                                  capture_output=True, text=True)
        else:
            proc = run_tool(args[0], args[1:])
        if proc.returncode != 0:
            raise RuntimeError(f'{" ".join(args)} failed ({proc.returncode}):\n'
                               f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
        return proc.stdout + proc.stderr

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
        self.tool(['mmsegsup.cli.train', config, '--work-dir', work, '--resume'])
        return dict(config=config, checkpoint=self._last_checkpoint(work))

    def test_tool(self, model: dict, work: str, metric: str) -> float:
        """:mod:`mmsegsup.cli.test` on a trained model; ``metric`` from the metrics file it
        wrote."""
        start = time.time()
        self.tool(['mmsegsup.cli.test', model['config'], model['checkpoint'], '--work-dir', work])
        return read_test_metric(work, metric, since=start)


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
