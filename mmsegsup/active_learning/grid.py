"""The active-learning loop as a graph of units (DESIGN.md "Experiments at scale"): for every
seed its round 0, then, once that is done, one unit per strategy running its rounds (their
stages one chain inside the unit, resumable by their markers). The loop config's
``executor`` (:mod:`mmsegsup.apis.executors`: ``local`` by default, or ``ray``) runs the
units, each with ``resources`` (``num_cpus``, ``num_gpus``) and up to ``retries`` retries.
Units get plain arguments (so Ray can ship them) and return their table rows: only this
process writes the tables, so parallel units never race on them.
"""
import csv
import os.path as osp
from typing import Callable, Dict, List, Optional

from ..apis.executors import Stage, run_graph
from ..utils.io import write_csv_atomic
from .loop import CALIBRATION, PRICES, ActiveLearningRun, AwaitingLabels
from .report import write_report
from .selectors import build_selector

RESULT_FIELDS = ['seed', 'strategy', 'round', 'num_per_round', 'num_labeled', 'metric', 'score',
                 *CALIBRATION]
SELECTION_FIELDS = ['seed', 'strategy', 'round', 'num_per_round', 'num_selected', 'mean_score',
                    'mean_oracle', 'mean_crossfit', 'objects_per_image', 'mean_object_size',
                    *PRICES]


def _upsert(path: str, row: dict, fields: List[str], key: List[str]) -> List[dict]:
    rows = []
    if osp.isfile(path):
        with open(path, newline='') as f:
            rows = [r for r in csv.DictReader(f)
                    if [r[k] for k in key] != [str(row[k]) for k in key]]
    rows.append({k: row.get(k, '') for k in fields})
    rows.sort(key=lambda r: (str(r['seed']), r['strategy'], int(r['round']),
                             int(r['num_per_round'] or 0)))
    write_csv_atomic(rows, fields, path)
    return rows


def _unit_run(spec: dict) -> ActiveLearningRun:
    return ActiveLearningRun(spec['loop_cfg'], spec['work_dir'], seeds=spec['seeds'],
                             num_per_round=spec['num_per_round'],
                             num_initial=spec['num_initial'])


def run_round0(spec: dict, seed: int) -> None:
    """Unit: round 0 of ``seed``."""
    _unit_run(spec).round0(seed)


def run_strategy(spec: dict, seed: int, index: int,
                 labels_file: Optional[str]) -> Dict[str, object]:
    """Unit: the rounds of the config's strategy ``index`` for ``seed``."""
    run = _unit_run(spec)
    return run.strategy_rounds(seed, run.al.strategies[index], labels_file)


def loop_stages(run: ActiveLearningRun, labels_file: Optional[str] = None) -> List[Stage]:
    """The units of a loop, in the order the loop ran them before it was a graph."""
    spec = dict(loop_cfg=run.loop_cfg, work_dir=run.work_dir, seeds=list(run.al.seeds),
                num_per_round=run.al.num_per_round, num_initial=run.al.num_initial)
    opts = dict(retries=run.al.retries, **run.al.resources)
    stages = []
    for seed in run.al.seeds:
        stages.append(Stage(f'seed{seed}_round0', run_round0, (spec, seed), **opts))
        for index, strategy in enumerate(run.al.strategies):
            stages.append(Stage(f'seed{seed}_{build_selector(strategy).name}', run_strategy,
                                (spec, seed, index, labels_file),
                                deps=(f'seed{seed}_round0', ), **opts))
    return stages


def run_loop(loop_cfg: str, work_dir: str, seeds: Optional[List[int]] = None,
             num_per_round: Optional[int] = None, num_initial: Optional[int] = None,
             labels_file: Optional[str] = None, executor: Optional[dict] = None,
             log: Callable[[str], None] = print) -> List[dict]:
    """Run (or resume) every seed and strategy of a loop config with its executor
    (``executor`` overrides its keys); returns the result rows. A failed unit is reported and
    the others go on (:class:`~mmsegsup.apis.executors.GraphFailed` at the end);
    :class:`AwaitingLabels` once every unit has stopped or finished, when labels are due."""
    run = ActiveLearningRun(loop_cfg, work_dir, seeds=seeds, num_per_round=num_per_round,
                            num_initial=num_initial, log=log)
    al = run.al
    rows: List[dict] = []
    awaiting: List[str] = []

    def done(name: str, out: Optional[dict]) -> None:
        nonlocal rows
        if out is None:  # round 0: its rows come with each strategy's
            return
        for row in out['selections']:
            _upsert(osp.join(run.work_dir, al.selections_csv), row, SELECTION_FIELDS,
                    ['seed', 'strategy', 'round', 'num_per_round'])
        for row in out['results']:
            rows = _upsert(osp.join(run.work_dir, al.results_csv), row, RESULT_FIELDS,
                           ['seed', 'strategy', 'round', 'num_labeled'])
        if out['awaiting']:
            awaiting.append(out['awaiting'])

    try:
        run_graph(loop_stages(run, labels_file), dict(al.executor, **(executor or {})),
                  on_done=done, log=log)
    finally:
        if rows:
            write_report(run.work_dir)
    if awaiting:
        raise AwaitingLabels(awaiting[0])
    return rows
