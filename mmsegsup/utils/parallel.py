"""An ordered map over worker processes, for independent per-item work (scoring one video).

Results come back in the order of the items whatever the worker count, so tables built from
them are the same with 1 or N workers. Workers are forked where the platform can (Linux): a
fresh interpreter would import the package again (seconds, for the OpenMMLab registries), which
costs more than scoring a DAVIS sequence.
"""
import argparse
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, Optional, TypeVar

T = TypeVar('T')
R = TypeVar('R')


def available_cpus() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def add_workers_arg(parser: argparse.ArgumentParser, items: str) -> None:
    """The evaluators' ``--workers`` flag (``items``: what one worker scores at a time)."""
    parser.add_argument('--workers', type=int, default=None,
                        help=f'processes scoring {items} side by side (default: the available '
                        'cores; 0 or 1: none); the numbers are the same for any count')


def resolve_workers(workers: Optional[int], num_items: int) -> int:
    """Worker processes to use: ``workers`` (None: :func:`available_cpus`), at most one per
    item; 0 or 1 means run in this process."""
    if workers is not None and workers < 0:
        raise ValueError(f'workers must be >= 0 (0 or 1: no worker process), got {workers}')
    wanted = available_cpus() if workers is None else workers
    return max(min(wanted, num_items), 1)


def ordered_map(fn: Callable[[T], R], items: Iterable[T],
                workers: Optional[int] = None) -> Iterator[R]:
    """``fn(item)`` for every item, yielded in item order as they are ready.

    ``workers``: processes to spread the items over (None: the available cores; 0 or 1: in this
    process, no pool). ``fn`` and the items must pickle (a module-level function, or a
    ``functools.partial`` of one); an exception in a worker is raised here.
    """
    items = list(items)
    count = resolve_workers(workers, len(items))
    if count == 1 or mp.current_process().daemon:  # a daemonic process may not have children
        yield from map(fn, items)
        return
    methods = mp.get_all_start_methods()
    context = mp.get_context('fork') if 'fork' in methods else None
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        yield from pool.map(fn, items)
