"""The BASIS pipeline (thesis 4.4): f on N strong images -> pseudo-labels of the other M ->
g on strong + pseudo -> both evaluated -> one row of the results CSV and the budget plot.

Every stage runs the standard tools (:mod:`mmsegsup.cli`: ``train``, ``pseudo_label``,
``test``) on a config derived from the user's, dumped under the run folder so each
step can be rerun by hand, and reads their results from the files they write
(:mod:`mmsegsup.apis.stages`). A finished stage leaves ``stages/<name>.json``;
rerunning the pipeline skips finished stages and resumes an interrupted training.

The pipeline config holds a ``basis`` dict:

* ``task``: 'instance' (COCO annotations, mmdet models) or 'semantic' (mmseg label maps);
* ``annotator`` / ``student``: configs of f and g (paths relative to the working directory,
  the repository or the pipeline config),
  each trained with its own schedule; ``annotator_options`` / ``student_options`` are
  ``--cfg-options``-style overrides;
* ``num_strong`` (N) and ``seed`` (the strong subset), ``score_thr`` (pseudo-instances);
* ``weak_type``: None (the other images are unlabeled and free) or 'labels' /
  'labels+counts' (or their aliases 'IL' / 'IL+C': one vocabulary,
  :func:`mmsegsup.formats.weak_labels.normalize_weak_type`; they carry weak labels, priced by
  the budget model, consumed by a W-RSIS annotator through its own pipeline);
* ``source_ratio``: images per batch from strong and pseudo (mmdet's ``MultiSourceSampler``,
  iteration-based schedules); None samples the union uniformly with the student's sampler;
* ``metric``: the key f and g are compared on (e.g. 'coco/segm_mAP_50', 'mIoU');
* ``budget_stats``: 'voc' (the thesis's Pascal VOC statistics) or a COCO file whose
  statistics price the images (default: the training annotations for instances);
* ``tool_process``: True (default) runs each tool in its own process; False calls its
  ``main(argv)`` in this one (``mmsegsup.utils.tool_runner``), saving the imports of every
  stage, worth it when the trainings are short;
* ``executor``: how the (N, seed) runs of one command are spread, ``dict(type='local')`` (one
  after another in this process, the default) or ``dict(type='ray', address=None, ...)``
  (:mod:`mmsegsup.apis.executors`); ``resources`` (``num_cpus``, ``num_gpus``) of each run and
  ``retries`` of a failed one. A run's stages stay one chain inside its unit;
* ``corrections``: None, or ``dict(images=..., labels=...)``: people corrected the
  pseudo-labels of chosen pool images (``images``: their COCO file, as ``tools/annotate.py
  export --predictions .../pseudo/pseudo_instances.json --image-ids ...`` writes it with the
  Label Studio / CVAT files) and ``labels`` is what they exported (COCO, Label Studio JSON or
  CVAT COCO 1.0, :func:`mmsegsup.annotators.exchange.read_labels`); the ``correct`` stage puts
  them in place of those images' pseudo-labels before g trains (so set it before g trains,
  e.g. after a run ``--until pseudo``) and adds their correction time (budget model,
  :mod:`mmsegsup.budget.prefill_cost`) to the budget;
* ``launcher``: 'none' (default) or 'pytorch': f and g train as torchrun runs of as many
  processes as ``resources`` has GPUs (else CPUs: gloo), :meth:`~mmsegsup.apis.stages.
  StagedRun.configure`.
"""
import copy
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config, ConfigDict

from ..annotators.exchange import read_labels
from ..annotators.prefill import price_prefill, without_annotations
from ..apis.executors import Stage, run_graph
from ..apis.stages import StagedRun, find_config
from ..budget import SECONDS_PER_DAY, VOC_STATS, budget_days, stats_from_coco
from ..formats import weak_labels
from ..formats.coco_json import coco_subset, load_coco_json
from ..formats.errors import FormatError
from ..utils.io import dump_json_atomic, write_text_atomic
from .pseudo_labels import INSTANCE_FILE, SEMANTIC_LIST
from .report import plot_rows, upsert_row
from .splits import split_coco, split_list

WEAK_TYPES = (None, ) + weak_labels.WEAK_TYPES
EARLY_STOPS = ('split', 'train_f', 'pseudo')
DEFAULTS = dict(task='instance', seed=0, score_thr=0.0, weak_type=None, source_ratio=None,
                annotator_options={}, student_options={}, budget_stats=None,
                results_csv='basis_results.csv', plot='basis_budget.png', tool_process=True,
                executor=dict(type='local'), resources=dict(num_cpus=1, num_gpus=0),
                retries=0, launcher='none', corrections=None)


def load_settings(pipeline_cfg: str) -> ConfigDict:
    """The ``basis`` dict of a pipeline config with defaults and checks."""
    cfg = Config.fromfile(pipeline_cfg)
    if 'basis' not in cfg:
        raise KeyError(f'{pipeline_cfg}: no `basis = dict(...)` (see mmsegsup.basis.pipeline)')
    basis = ConfigDict(copy.deepcopy(DEFAULTS))
    basis.update(cfg.basis)
    for key in ('annotator', 'student', 'num_strong', 'metric'):
        if key not in basis:
            raise KeyError(f'{pipeline_cfg}: basis.{key} is required')
    if basis.task not in ('instance', 'semantic'):
        raise ValueError(f"{pipeline_cfg}: basis.task must be 'instance' or 'semantic', "
                         f'got {basis.task!r}')
    if basis.weak_type is not None:
        try:
            basis.weak_type = weak_labels.normalize_weak_type(basis.weak_type)
        except ValueError as err:
            raise ValueError(f'{pipeline_cfg}: basis.weak_type must be one of {WEAK_TYPES} '
                             f'(or the aliases IL / IL+C), got {basis.weak_type!r}') from err
    if basis.corrections is not None and (not isinstance(basis.corrections, dict)
                                          or set(basis.corrections) != {'images', 'labels'}):
        raise ValueError(f'{pipeline_cfg}: basis.corrections must be dict(images=COCO file of '
                         f'the corrected pool images, labels=their export), got '
                         f'{basis.corrections!r}')
    for key in ('annotator', 'student'):
        basis[key] = find_config(basis[key], pipeline_cfg, f'basis.{key}')
    return basis


def _test_pipeline(cfg: Config) -> List[dict]:
    return without_annotations(cfg.test_dataloader.dataset.pipeline)


def pseudo_label_ap50(pseudo_file: str, split: dict) -> float:
    """Mask AP50 of the pseudo-instances against the pool images' real annotations (the
    source file), the quality of what g learns from (thesis table 4.6); pycocotools."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with open(split['source']) as f:
        source = json.load(f)
    with open(pseudo_file) as f:
        pseudo = json.load(f)
    pool = {im['id'] for im in pseudo['images']}
    gt_dict = coco_subset(source, pool)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = gt_dict
        gt.createIndex()
        if not pseudo['annotations']:
            return 0.0
        dt = gt.loadRes([dict(a, id=i + 1) for i, a in enumerate(pseudo['annotations'])])
        ev = COCOeval(gt, dt, 'segm')
        ev.params.imgIds = sorted(pool)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(ev.stats[1])


class BasisRun(StagedRun):
    """One (N, seed) run of the pipeline under ``work_dir/N<N>_seed<S>/``."""

    tag = 'basis'

    def __init__(self, pipeline_cfg: str, work_dir: str, num_strong: Optional[int] = None,
                 seed: Optional[int] = None, log: Callable[[str], None] = print) -> None:
        self.basis = load_settings(pipeline_cfg)
        if num_strong is not None:
            self.basis.num_strong = num_strong
        if seed is not None:
            self.basis.seed = seed
        self.work_dir = osp.abspath(work_dir)
        self.run_dir = osp.join(self.work_dir,
                                f'N{self.basis.num_strong}_seed{self.basis.seed}')
        self.log = log
        self.configure(self.basis)

    # ------------------------------------------------------------------ configs
    def _config(self, key: str) -> Config:
        cfg = Config.fromfile(self.basis[key])
        cfg.merge_from_dict(self.basis[f'{key}_options'])
        cfg.randomness = dict(cfg.get('randomness', {}), seed=self.basis.seed)
        return cfg

    # ------------------------------------------------------------------ stages
    def split(self) -> dict:
        cfg = self._config('annotator')
        dataset = self._train_dataset(cfg)
        out = osp.join(self.run_dir, 'splits')
        if self.basis.task == 'instance':
            source = dataset.ann_file
            strong, pool = split_coco(source, self.basis.num_strong, self.basis.seed, out)
            with open(pool) as f:
                num_pool = len(json.load(f)['images'])
        else:
            prefix = dataset.data_prefix['img_path']
            names = [osp.splitext(osp.relpath(dataset.get_data_info(i)['img_path'], prefix))[0]
                     for i in range(len(dataset))]
            source = osp.join(out, 'all.txt')
            write_text_atomic(''.join(n + '\n' for n in names), source)
            strong, pool = split_list(source, self.basis.num_strong, self.basis.seed, out)
            num_pool = len(names) - self.basis.num_strong
            return dict(source=source, strong=strong, pool=pool, num_pool=num_pool,
                        img_prefix=prefix)
        return dict(source=source, strong=strong, pool=pool, num_pool=num_pool)

    def train_f(self, split: dict) -> dict:
        cfg = self._config('annotator')
        cfg.train_dataloader.dataset = self._with_ann(cfg.train_dataloader.dataset,
                                                      split['strong'])
        sampler = cfg.train_dataloader.get('sampler', {})
        if (cfg.train_cfg.get('type') == 'IterBasedTrainLoop'
                and sampler.get('type') == 'DefaultSampler'):
            # N small: an epoch is a few iterations, and MMEngine pauses 2 s at every restart
            # of a finite sampler; the infinite one draws the same kind of shuffled stream.
            sampler.type = 'InfiniteSampler'
        pool = self._with_ann(cfg.train_dataloader.dataset, split['pool'])
        pool.update(test_mode=True, pipeline=_test_pipeline(cfg))
        pool.pop('filter_cfg', None)
        if 'pseudo_label_dataset' in cfg:  # the annotator's own pool pipeline
            pool['pipeline'] = copy.deepcopy(cfg.pseudo_label_dataset.pipeline)
        if self.basis.weak_type is not None:
            weak_file = self._weak_labels(split)
            for step in pool['pipeline']:  # e.g. W-RSIS reads the pool's weak labels
                if step['type'] == 'LoadWeakLabels':
                    step.pop('ann_file', None)
                    step.update(weak_file=weak_file, weak_type=self.basis.weak_type)
        cfg.pseudo_label_dataset = pool
        return self.train_tool(self._dump(cfg, 'f'), osp.join(self.run_dir, 'f'))

    def _weak_labels(self, split: dict) -> str:
        """The weakly labeled pool: its weak labels (``weak_type``) derived from the source
        annotations, as the thesis simulates VOC's weakly labeled set; the budget prices them."""
        from ..formats.weak_labels import save_weak_labels, weak_labels_from_coco
        if self.basis.task != 'instance':
            raise ValueError('basis.weak_type is for instance annotators (W-RSIS); semantic '
                             'pools are unlabeled')
        path = osp.join(self.run_dir, 'splits', f'weak-{self.basis.weak_type}.json')
        save_weak_labels(weak_labels_from_coco(split['source'], self.basis.weak_type), path)
        return path

    def pseudo(self, f: dict, split: dict) -> dict:
        out = osp.join(self.run_dir, 'pseudo')
        self.tool(['mmsegsup.cli.pseudo_label', f['config'], f['checkpoint'], '--out-dir', out,
                   '--task', self.basis.task, '--score-thr', str(self.basis.score_thr)])
        name = INSTANCE_FILE if self.basis.task == 'instance' else SEMANTIC_LIST
        ann_file = osp.join(out, name)
        if self.basis.task == 'instance':
            with open(ann_file) as fh:
                if not json.load(fh)['annotations']:
                    raise RuntimeError(
                        f'{ann_file}: f predicted no instance scored >= {self.basis.score_thr} '
                        'on the pool, so g would learn nothing from it; train f longer or '
                        'lower basis.score_thr (then rerun: finished stages are kept)')
        result = dict(out_dir=out, ann_file=ann_file)
        if self.basis.task == 'instance':
            result['pseudo_ap50'] = pseudo_label_ap50(ann_file, split)
            self.log(f'[basis] pseudo-labels: mask AP50 {result["pseudo_ap50"]:.4f} against the '
                     'pool\'s real annotations')
        return result

    def correct(self, pseudo: dict) -> dict:
        """The pseudo-labels with people's corrections in place of those of the images they
        corrected (``corrected_instances.json``), and what correcting them cost."""
        if self.basis.task != 'instance':
            raise ValueError('basis.corrections replace instance pseudo-labels (COCO masks)')
        spec = self.basis.corrections
        asked = load_coco_json(spec['images'], ('images', 'categories'), 'COCO images file')
        coco = load_coco_json(pseudo['ann_file'])
        ids = {im['id'] for im in asked['images']}
        outside = sorted(ids - {im['id'] for im in coco['images']})
        if outside:
            raise FormatError(f'{spec["images"]}: images {outside[:10]} are not pool images of '
                              f'{pseudo["ann_file"]}', spec['images'])
        labels = read_labels(spec['labels'], asked)
        shown = [a for a in coco['annotations'] if a['image_id'] in ids]
        scratch, prefilled = price_prefill(shown, labels)
        anns = [a for a in coco['annotations'] if a['image_id'] not in ids]
        anns += labels['annotations']
        for k, ann in enumerate(anns):
            ann['id'] = k + 1
        out = osp.join(pseudo['out_dir'], 'corrected_instances.json')
        dump_json_atomic(dict(coco, annotations=anns), out)
        self.log(f'[basis] {len(ids)} pool images corrected: {prefilled:.0f} s of annotation '
                 f'(from scratch: {scratch:.0f} s)')
        return dict(pseudo, ann_file=out, num_corrected=len(ids), correction_s=prefilled,
                    correction_s_scratch=scratch)

    def train_g(self, split: dict, pseudo: dict) -> dict:
        cfg = self._config('student')
        loader = cfg.train_dataloader
        strong = self._with_ann(loader.dataset, split['strong'])
        labelled = self._with_ann(loader.dataset, pseudo['ann_file'])
        if self.basis.task == 'semantic':  # the pool's images, the pseudo label maps
            labelled['data_prefix'] = dict(img_path=split['img_prefix'],
                                           seg_map_path=osp.join(pseudo['out_dir'], 'labels'))
        loader.dataset = ConfigDict(type='ConcatDataset', datasets=[strong, labelled])
        if self.basis.source_ratio is not None:
            if cfg.train_cfg.get('type') != 'IterBasedTrainLoop':
                raise ValueError(
                    f'{self.basis.student}: basis.source_ratio needs an iteration-based '
                    "schedule (mmdet's MultiSourceSampler never ends an epoch); set "
                    'source_ratio=None to sample the union uniformly per epoch')
            loader.sampler = ConfigDict(type='mmdet.MultiSourceSampler',
                                        batch_size=loader.batch_size,
                                        source_ratio=list(self.basis.source_ratio))
            loader.batch_sampler = None
        return self.train_tool(self._dump(cfg, 'g'), osp.join(self.run_dir, 'g'))

    def test(self, model: dict, name: str) -> dict:
        return dict(score=self.test_tool(model, osp.join(self.run_dir, f'test_{name}'),
                                         self.basis.metric))

    # ------------------------------------------------------------------ report
    def budget(self, split: dict) -> float:
        stats = self.basis.budget_stats
        if stats == 'voc' or (stats is None and self.basis.task == 'semantic'):
            stats = VOC_STATS
        else:
            stats = stats_from_coco(stats or split['source'])
        weak = self.basis.weak_type
        kind = weak_labels.BUDGET_KINDS[weak] if weak else None
        return budget_days(self.basis.num_strong, split['num_pool'] if weak else 0, kind,
                           stats=stats)

    def run(self, until: Optional[str] = None) -> Dict[str, object]:
        """Run (or resume) the stages; returns the results row (:func:`record_row` adds it to
        the table), or with ``until`` ('split', 'train_f' or 'pseudo') stops after that stage
        and returns the outputs so far (e.g. to compare annotators)."""
        if until not in (None, ) + EARLY_STOPS:
            raise ValueError(f'until must be one of {EARLY_STOPS}, got {until!r}')
        done: Dict[str, object] = {}
        split = done['split'] = self.stage('split', self.split)
        if until == 'split':
            return done
        f = done['train_f'] = self.stage('train_f', lambda: self.train_f(split))
        if until == 'train_f':
            return done
        pseudo = done['pseudo'] = self.stage('pseudo', lambda: self.pseudo(f, split))
        if until == 'pseudo':
            return done
        if self.basis.corrections:
            if osp.isfile(self._marker('train_g')) and not osp.isfile(self._marker('correct')):
                raise RuntimeError(f'{self.run_dir}: g was trained without basis.corrections; '
                                   'delete its stages/train_g.json (or use a new work dir) so '
                                   'that g learns from the corrected pseudo-labels')
            pseudo = self.stage('correct', lambda: self.correct(pseudo))
        g = self.stage('train_g', lambda: self.train_g(split, pseudo))
        f_score = self.stage('test_f', lambda: self.test(f, 'f'))['score']
        g_score = self.stage('test_g', lambda: self.test(g, 'g'))['score']
        row = dict(num_strong=self.basis.num_strong, num_weak=split['num_pool'],
                   weak_type=self.basis.weak_type or 'none',
                   budget_days=round(self.budget(split) + pseudo.get('correction_s', 0)
                                     / SECONDS_PER_DAY, 6), metric=self.basis.metric,
                   f_score=f_score, g_score=g_score, seed=self.basis.seed)
        self.log(f'[basis] N={row["num_strong"]} M={row["num_weak"]} '
                 f'budget={row["budget_days"]} d: f {f_score:.4f} -> g {g_score:.4f} '
                 f'({self.basis.metric})')
        return row


def record_row(work_dir: str, basis: ConfigDict, row: dict) -> str:
    """Add a run's row to the results CSV and redraw the plot (in the driver's process only,
    so that parallel runs never write the table at once); returns the CSV's path."""
    csv_path = osp.join(work_dir, basis.results_csv)
    plot_rows(upsert_row(csv_path, row), osp.join(work_dir, basis.plot))
    return csv_path


def run_unit(pipeline_cfg: str, work_dir: str, num_strong: int, seed: int,
             until: Optional[str] = None) -> Dict[str, object]:
    """One (N, seed) run: a graph stage (plain arguments, so any executor can ship it)."""
    return BasisRun(pipeline_cfg, work_dir, num_strong=num_strong, seed=seed).run(until=until)


def run_pipeline(pipeline_cfg: str, work_dir: str, num_strong: Sequence[Optional[int]] = (None, ),
                 seeds: Sequence[Optional[int]] = (None, ), until: Optional[str] = None,
                 executor: Optional[dict] = None,
                 log: Callable[[str], None] = print) -> Dict[str, object]:
    """Every (N, seed) run of a pipeline config, one graph stage each, with the config's
    executor (``executor`` overrides its keys); the rows (or early-stop outputs) by run name.
    A failed run is reported and the others go on (:class:`~mmsegsup.apis.executors.
    GraphFailed` at the end)."""
    pipeline_cfg, work_dir = osp.abspath(pipeline_cfg), osp.abspath(work_dir)
    basis = load_settings(pipeline_cfg)
    stages = []
    for n in num_strong:
        for seed in seeds:
            n, seed = basis.num_strong if n is None else n, basis.seed if seed is None else seed
            stages.append(Stage(f'N{n}_seed{seed}', run_unit,
                                (pipeline_cfg, work_dir, n, seed, until),
                                retries=basis.retries, **basis.resources))

    def done(name: str, row: Dict[str, object]) -> None:
        if until is None:
            log(f'[basis] {name}: {record_row(work_dir, basis, row)}')

    return run_graph(stages, dict(basis.executor, **(executor or {})), on_done=done, log=log)
