"""Experiment grids as graphs of stages, run by an executor (DESIGN.md "Experiments at scale").

A :class:`Stage` is a unit of work a driver declares once: a module-level function and plain
arguments (so Ray can ship it to another process or machine), the stages it depends on, the
CPUs / GPUs it needs and how often to retry it. :func:`run_graph` runs a list of stages with an
executor built from an ``executor = dict(type=..., ...)`` config:

* ``local`` (the default): one at a time in this process, in the order declared, so a grid
  runs exactly as the nested loops it replaces;
* ``ray``: Ray core tasks placed by their ``num_cpus`` / ``num_gpus``; ``address`` joins a
  running cluster (``'auto'``, ``'ray://head:10001'``), none starts one on this machine (its
  ``num_cpus`` / ``num_gpus`` / ``object_store_memory`` and any other ``ray.init`` keyword come
  from the dict). Ray is imported only here, only then.

A stage's results are the files it writes (its inner stages' markers, checkpoints, tables), so
the executor changes where a stage runs, never what it computes. A failed stage is reported
with its name and the tail of its error (a failed tool's error carries the tool's output),
retried up to ``retries`` times (a rerun resumes from the markers and checkpoints it left),
and the other stages go on; stages that depend on it are skipped. :class:`GraphFailed` names
them all at the end.
"""
import argparse
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

LOG_TAIL_LINES = 40


@dataclass
class Stage:
    """One unit of a graph: ``fn(*args, **kwargs)`` once ``deps`` have succeeded."""

    name: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    deps: Tuple[str, ...] = ()
    num_cpus: float = 1
    num_gpus: float = 0
    retries: int = 0


class GraphFailed(RuntimeError):
    """Raised after a graph ran, naming the stages that failed (with their error tails) and
    the ones skipped because a dependency failed."""

    def __init__(self, failed: Dict[str, str], skipped: List[str]) -> None:
        self.failed, self.skipped = failed, skipped
        lines = [f'{len(failed)} stage(s) failed: {", ".join(failed)}']
        if skipped:
            lines.append(f'skipped (a dependency failed): {", ".join(skipped)}')
        lines += [f'--- {name} ---\n{tail}' for name, tail in failed.items()]
        super().__init__('\n'.join(lines))


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return '\n'.join(text.rstrip().splitlines()[-lines:])


class LocalExecutor:
    """Runs each stage when submitted, in this process (one at a time: declaration order).
    Other executors' options are ignored, so one config serves both (``--executor local``)."""

    max_running = 1

    def __init__(self, **other_executors_options) -> None:
        self._outcomes: Dict[int, Tuple[bool, Any]] = {}

    def submit(self, stage: Stage) -> int:
        try:
            outcome = (True, stage.fn(*stage.args, **stage.kwargs))
        except Exception:  # reported, retried or skipped by run_graph; Ctrl-C still stops
            outcome = (False, traceback.format_exc())
        handle = len(self._outcomes)
        self._outcomes[handle] = outcome
        return handle

    def wait(self, handles: Sequence[int]) -> Tuple[int, bool, Any]:
        """The first finished handle, whether it succeeded, its result or error text."""
        return (handles[0], *self._outcomes.pop(handles[0]))

    def close(self) -> None:
        """Nothing to release: the stages ran in this process."""


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """The body of a Ray task (module level, so Ray ships it by reference)."""
    return fn(*args, **kwargs)


class RayExecutor:
    """Ray core tasks; joins ``address`` or starts a local Ray (stopped by :meth:`close`)."""

    max_running = None  # Ray queues tasks until their resources are free

    def __init__(self, address: Optional[str] = None, num_cpus: Optional[int] = None,
                 include_dashboard: bool = False, **init_kwargs) -> None:
        import ray
        self.ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            if address is None:  # a local Ray on this machine's cores (or num_cpus)
                init_kwargs['num_cpus'] = num_cpus or os.cpu_count()
            ray.init(address=address, include_dashboard=include_dashboard, **init_kwargs)
        self._task = ray.remote(_call)

    def submit(self, stage: Stage) -> Any:
        # Ray's own retries are off: run_graph retries, so that every failure is reported
        return self._task.options(num_cpus=stage.num_cpus, num_gpus=stage.num_gpus,
                                  max_retries=0, name=stage.name).remote(
                                      stage.fn, stage.args, stage.kwargs)

    def wait(self, handles: Sequence[Any]) -> Tuple[Any, bool, Any]:
        (ref, ), _ = self.ray.wait(list(handles), num_returns=1)
        try:
            return ref, True, self.ray.get(ref)
        except Exception as err:  # RayTaskError (the stage raised), WorkerCrashedError, ...
            return ref, False, str(err)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()


EXECUTORS = dict(local=LocalExecutor, ray=RayExecutor)


def build_executor(cfg: Optional[dict] = None):
    """An executor from ``dict(type='local' | 'ray', **options)`` (None: local)."""
    cfg = dict(cfg or {})
    kind = cfg.pop('type', 'local')
    if kind not in EXECUTORS:
        raise ValueError(f"executor type must be one of {tuple(EXECUTORS)}, got {kind!r}")
    return EXECUTORS[kind](**cfg)


def _check(stages: Sequence[Stage]) -> None:
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ValueError(f'stage names must be unique: {names}')
    seen = set()
    for s in stages:  # declared after their dependencies: no cycles, local order is clear
        missing = [d for d in s.deps if d not in seen]
        if missing:
            raise ValueError(f'stage {s.name} depends on {missing}, not declared before it')
        seen.add(s.name)


def run_graph(stages: Sequence[Stage], executor: Optional[dict] = None,
              on_done: Optional[Callable[[str, Any], None]] = None,
              log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run ``stages`` (declared after their dependencies) with the executor config
    ``executor``; ``on_done(name, result)`` is called in this process as each one succeeds.
    Returns the results by name; raises :class:`GraphFailed` at the end if any stage failed."""
    _check(stages)
    runner = build_executor(executor)
    results: Dict[str, Any] = {}
    failed: Dict[str, str] = {}
    skipped: List[str] = []
    waiting = list(stages)
    running: Dict[Any, Tuple[Stage, int]] = {}
    try:
        while waiting or running:
            for stage in list(waiting):
                if runner.max_running is not None and len(running) >= runner.max_running:
                    break
                if any(d in failed or d in skipped for d in stage.deps):
                    waiting.remove(stage)
                    skipped.append(stage.name)
                elif all(d in results for d in stage.deps):
                    waiting.remove(stage)
                    running[runner.submit(stage)] = (stage, 0)
            if not running:
                continue
            handle, ok, value = runner.wait(list(running))
            stage, attempt = running.pop(handle)
            if ok:
                results[stage.name] = value
                if on_done is not None:
                    on_done(stage.name, value)
                continue
            tail = _tail(value)
            log(f'[graph] {stage.name} failed (attempt {attempt + 1} of {stage.retries + 1}):'
                f'\n{tail}')
            if attempt < stage.retries:
                log(f'[graph] {stage.name}: retrying (finished inner stages are kept)')
                running[runner.submit(stage)] = (stage, attempt + 1)
            else:
                failed[stage.name] = tail
    finally:
        runner.close()
    if failed:
        raise GraphFailed(failed, skipped)
    return results


def add_executor_args(parser: argparse.ArgumentParser) -> None:
    """``--executor local|ray`` and ``--address`` of the grid tools (override the config's
    ``executor`` dict)."""
    parser.add_argument('--executor', choices=tuple(EXECUTORS),
                        help="where the grid's units run (default: the config's executor, "
                             'else local: one after another in this process)')
    parser.add_argument('--address', help="Ray cluster to join ('auto', 'ray://HEAD:10001'); "
                                          'default: start Ray on this machine')


def executor_options(args: argparse.Namespace) -> dict:
    """The executor keys the flags set (none: the config's executor as it is)."""
    out = {} if args.executor is None else dict(type=args.executor)
    if args.address is not None:
        out['address'] = args.address
    return out
