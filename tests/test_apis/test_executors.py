"""mmsegsup.apis.executors: a graph of stages runs in declaration order locally; a failed stage
is reported with its name and error tail, retried, and the rest goes on; Ray runs the same
stages (a killed worker is retried) and a tiny active-learning grid gives the same tables under
both executors; a truncated checkpoint is never resumed from."""
import csv
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmsegsup.apis.executors import GraphFailed, Stage, build_executor, run_graph
from mmsegsup.apis.stages import StagedRun, checkpoint_is_whole, ensure_resumable
from al_utils import tiny_loop
from tools_utils import run, tiny_config

HERE = osp.dirname(osp.abspath(__file__))


class _Probe(StagedRun):
    tag = 'probe'

    def __init__(self, run_dir: str) -> None:
        self.run_dir = run_dir


def _calls(run_dir: str) -> list:
    path = osp.join(run_dir, 'calls.txt')
    return open(path).read().split() if osp.isfile(path) else []


def two_stage_unit(run_dir: str, fail: str) -> dict:
    """A unit of two marked stages; the second fails on its first call: ``fail='raise'``
    raises, ``'kill'`` SIGKILLs the process running it (a Ray worker)."""
    unit = _Probe(run_dir)
    os.makedirs(run_dir, exist_ok=True)

    def call(name: str, value: int) -> dict:
        first = name not in _calls(run_dir)
        with open(osp.join(run_dir, 'calls.txt'), 'a') as f:
            f.write(name + '\n')
        if name == 'second' and first:
            if fail == 'kill':
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError('second stage broke (first call)')
        return dict(value=value)

    unit.stage('first', lambda: call('first', 1))
    return unit.stage('second', lambda: call('second', 2))


def _fails(tag: str) -> None:
    raise ValueError(f'{tag} always fails')


def test_local_graph_runs_in_order_retries_and_reports(tmp_path):
    order, messages = [], []
    stages = [Stage('a', order.append, ('a', )),
              Stage('b', two_stage_unit, (str(tmp_path / 'b'), 'raise'), retries=1),
              Stage('c', _fails, ('c', )),
              Stage('d', order.append, ('d', ), deps=('c', )),
              Stage('e', order.append, ('e', ), deps=('a', ))]
    finished = {}
    with pytest.raises(GraphFailed) as err:
        run_graph(stages, on_done=finished.__setitem__, log=messages.append)
    assert order == ['a', 'e']
    assert finished == dict(a=None, b=dict(value=2), e=None)
    assert err.value.failed.keys() == {'c'} and err.value.skipped == ['d']
    assert 'c always fails' in str(err.value) and 'skipped (a dependency failed): d' in str(
        err.value)
    # b failed once, named with its error's tail, and was retried: its first stage kept
    assert messages[0].startswith('[graph] b failed (attempt 1 of 2):')
    assert 'second stage broke' in messages[0]
    assert _calls(str(tmp_path / 'b')) == ['first', 'second', 'second']
    # a rerun of the unit finds both markers
    assert two_stage_unit(str(tmp_path / 'b'), 'raise') == dict(value=2)
    assert _calls(str(tmp_path / 'b')) == ['first', 'second', 'second']


def test_graph_declaration_and_executor_checked():
    with pytest.raises(ValueError, match='not declared before it'):
        run_graph([Stage('x', print, deps=('y', )), Stage('y', print)])
    with pytest.raises(ValueError, match='must be unique'):
        run_graph([Stage('x', print), Stage('x', print)])
    with pytest.raises(ValueError, match="executor type must be one of"):
        build_executor(dict(type='dask'))
    # a config's Ray options do not stop `--executor local`
    assert build_executor(dict(type='local', num_cpus=2)).max_running == 1


def test_truncated_checkpoint_is_never_resumed_from(tmp_path):
    work = tmp_path / 'train'
    work.mkdir()
    for it in (2, 4, 6):
        torch.save(dict(meta=dict(iter=it), state_dict={'w': torch.ones(64)}),
                   work / f'iter_{it}.pth')
    pointer = work / 'last_checkpoint'
    pointer.write_text(str(work / 'iter_6.pth'))
    assert ensure_resumable(str(work), print) == str(work / 'iter_6.pth')  # whole: kept
    data = (work / 'iter_6.pth').read_bytes()
    (work / 'iter_6.pth').write_bytes(data[:len(data) // 2])  # killed while saving
    assert not checkpoint_is_whole(str(work / 'iter_6.pth'))
    messages = []
    assert ensure_resumable(str(work), messages.append) == str(work / 'iter_4.pth')
    assert pointer.read_text() == str(work / 'iter_4.pth')
    assert not (work / 'iter_6.pth').exists() and 'not whole' in messages[0]
    # nothing whole left: the pointer goes, the training restarts
    for it in (2, 4):
        (work / f'iter_{it}.pth').write_bytes(b'PK\x03\x04 truncated')
    assert ensure_resumable(str(work), messages.append) is None
    assert not pointer.exists() and list(work.iterdir()) == []


# ---- Ray ----------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def local_ray():
    """Ray on 2 CPUs with a small object store; its workers import this module's stages."""
    ray = pytest.importorskip('ray')
    old = os.environ.get('PYTHONPATH')
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [HERE, osp.join(osp.dirname(HERE), 'helpers')] + ([old] if old else []))
    ray.init(num_cpus=2, object_store_memory=100 * 2**20, include_dashboard=False,
             log_to_driver=False)
    yield ray
    ray.shutdown()
    if old is None:
        os.environ.pop('PYTHONPATH')
    else:
        os.environ['PYTHONPATH'] = old


@pytest.mark.slow(minutes=1)
def test_ray_retries_a_killed_worker_and_the_rerun_skips(local_ray, tmp_path):
    messages = []
    stages = [Stage(f'unit{k}', two_stage_unit, (str(tmp_path / f'u{k}'), 'kill'), retries=1)
              for k in range(2)] + [Stage('bad', _fails, ('bad', ))]
    with pytest.raises(GraphFailed, match='bad always fails') as err:
        run_graph(stages, dict(type='ray'), log=messages.append)
    assert list(err.value.failed) == ['bad']
    for k in range(2):  # killed mid-stage once, retried, the finished stage kept
        assert _calls(str(tmp_path / f'u{k}')) == ['first', 'second', 'second']
        assert any(m.startswith(f'[graph] unit{k} failed (attempt 1 of 2)') for m in messages)
    # Ray was started by the fixture: the executor joined it and left it running
    assert local_ray.is_initialized()
    assert run_graph(stages[:2], dict(type='ray')) == dict(unit0=dict(value=2),
                                                           unit1=dict(value=2))
    assert all(len(_calls(str(tmp_path / f'u{k}'))) == 3 for k in range(2))


def ddp_train_unit(config: str, work: str) -> dict:
    """A unit whose training is a torchrun of 2 gloo processes (the unit's 2 CPUs)."""
    unit = _Probe(osp.dirname(work))
    unit.configure(dict(tool_process=False, launcher='pytorch',
                        resources=dict(num_cpus=2, num_gpus=0)))
    return unit.train_tool(config, work)


@pytest.mark.slow(minutes=1)
def test_a_ray_stage_trains_with_two_processes(local_ray, tmp_path):
    cfg = tiny_config(tmp_path, max_iters=2)
    work = str(tmp_path / 'run' / 'train')
    out = run_graph([Stage('ddp', ddp_train_unit, (cfg, work), num_cpus=2)],
                    dict(type='ray'))['ddp']
    assert out == dict(config=cfg, checkpoint=osp.join(work, 'iter_2.pth'))
    log = next(p for p in (tmp_path / 'run' / 'train').rglob('*.log'))
    text = log.read_text()
    assert 'Distributed launcher: pytorch' in text and 'GPU number: 2' in text


def _table(path) -> list:
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


@pytest.mark.slow(minutes=3)
def test_the_same_grid_gives_the_same_tables_locally_and_on_ray(local_ray, tmp_path):
    cfg = tiny_loop(tmp_path, "[dict(type='ClosestToBeta', beta=0.5), "
                              "dict(type='RandomSelector')]", rounds=1, iters=4)
    tables = {}
    for kind in ('local', 'ray'):
        work = tmp_path / kind
        run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--executor', kind],
            timeout=900)
        tables[kind] = [_table(work / name) for name in ('al_results.csv',
                                                          'al_selections.csv')]
    results, selections = tables['local']
    assert {(r['strategy'], r['round']) for r in results} == {
        (s, r) for s in ('beta0.5', 'random') for r in '01'}
    assert len(selections) == 2
    assert tables['ray'] == tables['local']


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='PR_SET_PDEATHSIG, /proc')
def test_a_tool_process_dies_with_the_worker_that_started_it(tmp_path):
    """A retry must not train beside an orphan of the killed attempt."""
    pid_file = tmp_path / 'child.pid'
    parent = subprocess.Popen([sys.executable, '-c', f"""
import subprocess
from mmsegsup.apis.stages import _die_with_parent
child = subprocess.Popen(['sleep', '60'], preexec_fn=_die_with_parent())
open({str(pid_file)!r}, 'w').write(str(child.pid))
child.wait()
"""])
    deadline = time.time() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.time() < deadline and parent.poll() is None
        time.sleep(0.1)
    child = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    while osp.exists(f'/proc/{child}') and 'Z' not in _state(child):
        assert time.time() < deadline, 'the tool process outlived its parent'
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return open(f'/proc/{pid}/stat').read().split(')')[-1].split()[0]
    except OSError:
        return 'Z'
