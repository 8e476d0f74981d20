"""ordered_map: item order whatever the worker count, errors raised here, sane worker counts."""
import functools
import os

import pytest

from mmsegsup.utils.parallel import available_cpus, ordered_map, resolve_workers


def _square_after(item, delay_for):
    # later items finish first when delayed less: the order must still be the items'
    import time
    time.sleep(0.01 * delay_for.get(item, 0))
    return item * item, os.getpid()


def _fail_on_three(item):
    if item == 3:
        raise ValueError(f'bad item {item}')
    return item


def test_resolve_workers():
    assert available_cpus() >= 1
    assert resolve_workers(None, 100) == min(available_cpus(), 100)
    assert resolve_workers(8, 3) == 3  # never more workers than items
    assert resolve_workers(0, 5) == 1 and resolve_workers(1, 5) == 1
    assert resolve_workers(4, 0) == 1
    with pytest.raises(ValueError, match='workers'):
        resolve_workers(-1, 5)


@pytest.mark.parametrize('workers', [0, 1, 2, 3])
def test_ordered_map_keeps_item_order(workers):
    fn = functools.partial(_square_after, delay_for={0: 5, 1: 3})
    out = list(ordered_map(fn, range(6), workers))
    assert [value for value, _ in out] == [i * i for i in range(6)]
    pids = {pid for _, pid in out}
    if workers <= 1:
        assert pids == {os.getpid()}  # no pool: in this process
    else:
        assert os.getpid() not in pids


def test_worker_errors_are_raised_here():
    with pytest.raises(ValueError, match='bad item 3'):
        list(ordered_map(_fail_on_three, range(5), workers=2))
