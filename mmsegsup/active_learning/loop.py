"""The active-learning loop of thesis ch. 5 (fig. 5.4), any number of rounds, resumable.

For every seed: N0 random images of the annotator's training set are strongly labeled
(round 0), the rest is the unlabeled pool. Each round trains the annotation network on the
labeled split (:mod:`mmsegsup.cli.train`), evaluates it (``test``), scores the pool
(``al_score``: predicted and, with ground truth, oracle image scores; the IoU branch's
MAE is logged), lets each strategy select N' images, gets their labels and writes the next
split atomically. Round 0 is shared by all strategies of a seed; their runs branch after it.

Labels come back in one of two ways (``labels``):

* ``'ground_truth'`` (the benchmark setting): taken from the source annotations;
* ``'human'``: the loop writes ``to_annotate.json`` / ``to_annotate.txt`` (the selected images)
  and, pre-filled with the round's masks, their Label Studio tasks and labeling config and/or
  CVAT COCO file (``annotation_tool``: 'label_studio', 'cvat', both or None; ``image_url``: the
  URL root the tasks show images under, else Label Studio's local-files URLs), and stops; the
  next command passes what the annotators exported (COCO, Label Studio JSON or CVAT COCO 1.0)
  with ``--labels``, checked by :func:`mmsegsup.annotators.exchange.read_labels` before
  anything is written, and the loop continues from there.

With ``prefill`` (default True) the round's annotation network predicts the selected images
(``prefill.json``) and the selections table prices them (``annotation_s_scratch`` /
``annotation_s_prefilled``, :mod:`mmsegsup.budget.prefill_cost`, matches at IoU >=
``prefill_iou``): against the ground truth, or against the imported labels.

The loop config holds an ``active_learning`` dict: ``annotator`` (config of the annotation
network, an IoU-W-RSIS / RSIS with an IoU branch), ``annotator_options``, ``num_initial``
(N0), ``num_per_round`` (N'), ``rounds``, ``strategies`` (selector configs, see
:mod:`mmsegsup.active_learning.selectors`), ``seeds``, ``labels``, ``metric`` (e.g.
'coco/segm_mAP_50'), ``weak_type`` (the pool's weak labels for a W-RSIS annotator: derived from
the source annotations, or read from ``weak_file``), ``mc_passes`` (MC-dropout passes when an
MC strategy is used), ``score_ground_truth`` (compute oracle scores, default: with
ground-truth labels), ``crossfit`` (settings of the cross-fitted IoU branches that
``ClosestToBeta(score='crossfit')`` strategies select by, see
:mod:`mmsegsup.active_learning.crossfit`: ``folds`` (2), ``segmentation_iters`` /
``branch_iters`` (default: the annotator's freeze-then-train split), ``branch_options``),
``tool_process`` (False: the tools run in this process, see :mod:`mmsegsup.apis.stages`) and
``launcher`` ('pytorch': trainings are torchrun runs sized by the unit's ``resources``).

The round 0 of a seed (:meth:`ActiveLearningRun.round0`) and, after it, the rounds of each
(seed, strategy) (:meth:`ActiveLearningRun.strategy_rounds`) are the units of work that
:mod:`mmsegsup.active_learning.grid` runs with an executor (``executor``, ``resources``,
``retries``).
"""
import os.path as osp
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from ..annotators.exchange import (PREFILL, TO_ANNOTATE, export_selection, image_url,
                                   read_labels)
from ..annotators.prefill import predict_files, price_prefill, without_annotations
from ..apis.stages import StagedRun
from ..basis.splits import choose_strong
from ..formats.coco_json import coco_subset, load_coco_json
from ..formats.json_files import load_json
from ..utils.io import dump_json_atomic, write_text_atomic
from . import crossfit as xfit
from .report import CALIBRATION as REPORTED_CALIBRATION
from .scoring import iou_mae, load_records
from .selectors import build_selector, check_pool
from .settings import load_settings, needs

CALIBRATION = REPORTED_CALIBRATION + ('num_scored', )
PRICES = ('annotation_s_scratch', 'annotation_s_prefilled')


class AwaitingLabels(Exception):
    """Raised (and reported by the CLI) when the loop waits for human annotations."""


def _read_coco(path: str) -> dict:
    return load_coco_json(path, keys=('images', ), what='COCO instances file')


class ActiveLearningRun(StagedRun):
    """All seeds and strategies of one loop config under ``work_dir``."""

    tag = 'al'

    def __init__(self, loop_cfg: str, work_dir: str, seeds: Optional[List[int]] = None,
                 num_per_round: Optional[int] = None, num_initial: Optional[int] = None,
                 log: Callable[[str], None] = print) -> None:
        self.loop_cfg = osp.abspath(loop_cfg)
        self.al = load_settings(loop_cfg)
        if seeds is not None:
            self.al.seeds = list(seeds)
        if num_per_round is not None:
            self.al.num_per_round = num_per_round
        if num_initial is not None:
            self.al.num_initial = num_initial
        self.work_dir = osp.abspath(work_dir)
        self.log = log
        self.run_dir = self.work_dir
        self.configure(self.al)

    # ------------------------------------------------------------------ helpers
    def _config(self, seed: int) -> Config:
        cfg = Config.fromfile(self.al.annotator)
        cfg.merge_from_dict(self.al.annotator_options)
        cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
        return cfg

    def _pool_dataset(self, cfg: Config, ann_file: str, weak_file: Optional[str]) -> dict:
        """The annotator's test pipeline on the pool images, annotations not loaded (the
        oracle reads them from the json), weak labels from ``weak_file``."""
        pool = self._with_ann(cfg.train_dataloader.dataset, ann_file)
        pool.pop('filter_cfg', None)
        pool.update(test_mode=True,
                    pipeline=without_annotations(cfg.test_dataloader.dataset.pipeline))
        for step in pool['pipeline']:
            if step['type'] == 'LoadWeakLabels':
                if weak_file is None:
                    raise ValueError(f'{self.al.annotator} reads weak labels: set '
                                     'active_learning.weak_type (or weak_file) for the pool')
                step.pop('ann_file', None)
                step.update(weak_file=weak_file, weak_type=self.al.weak_type)
        return pool

    def _weak_file(self, seed_dir: str, source: str) -> Optional[str]:
        if self.al.weak_file:
            return self.al.weak_file
        if self.al.weak_type is None:
            return None
        from ..formats.weak_labels import save_weak_labels, weak_labels_from_coco
        path = osp.join(seed_dir, f'weak-{self.al.weak_type}.json')
        if not osp.isfile(path):
            save_weak_labels(weak_labels_from_coco(source, self.al.weak_type), path)
        return path

    # ------------------------------------------------------------------ stages
    def initial_split(self, seed: int, seed_dir: str) -> dict:
        cfg = self._config(seed)
        source = self._train_dataset(cfg).ann_file
        coco = _read_coco(source)
        images = sorted(coco['images'], key=lambda im: im['id'])
        labeled, _ = choose_strong([im['id'] for im in images], self.al.num_initial, seed,
                                   source=source)
        return self._write_split(osp.join(seed_dir, 'round0'), source, labeled)

    def _write_split(self, folder: str, source: str, labeled_ids: List[int],
                     given: Optional[dict] = None) -> dict:
        """``labeled.json`` (with annotations: from the labels ``given`` for the images they
        cover, else from the source) and ``unlabeled.json`` (the rest, annotations kept only
        for the oracle when the source has them)."""
        coco = _read_coco(source)
        ids = {im['id'] for im in coco['images']}
        labeled = coco_subset(coco, labeled_ids)
        if given is not None:
            new = {im['id'] for im in given['images']}
            labeled['annotations'] = [a for a in labeled['annotations']
                                      if a['image_id'] not in new] + given['annotations']
        for i, ann in enumerate(labeled['annotations']):
            ann['id'] = i + 1
        unlabeled = coco_subset(coco, sorted(ids - set(labeled_ids)))
        paths = dict(labeled=osp.join(folder, 'labeled.json'),
                     unlabeled=osp.join(folder, 'unlabeled.json'))
        dump_json_atomic(labeled, paths['labeled'])
        dump_json_atomic(unlabeled, paths['unlabeled'])
        return dict(paths, source=source, num_labeled=len(labeled['images']),
                    num_unlabeled=len(unlabeled['images']))

    def _annotator(self, seed: int, split: dict, train_file: str) -> Config:
        """The annotator config training on ``train_file``, its pool the split's unlabeled
        images (``al_pool_dataset``, what ``tools/al_score.py`` scores)."""
        cfg = self._config(seed)
        loader = cfg.train_dataloader
        loader.dataset = self._with_ann(loader.dataset, train_file)
        sampler = loader.get('sampler', {})
        if (cfg.train_cfg.get('type') == 'IterBasedTrainLoop'
                and sampler.get('type') == 'DefaultSampler'):
            sampler.type = 'InfiniteSampler'  # small splits: no 2 s pause per epoch restart
        weak = self._weak_file(self._seed_dir(seed), split['source'])
        cfg.al_pool_dataset = self._pool_dataset(cfg, split['unlabeled'], weak)
        return cfg

    def train(self, seed: int, split: dict, folder: str) -> dict:
        cfg = self._annotator(seed, split, split['labeled'])
        model = self.train_tool(self._dump(cfg, 'annotator', folder), osp.join(folder, 'train'))
        model['score'] = self.test_tool(model, osp.join(folder, 'test'), self.al.metric)
        self.log(f'[al] seed {seed} {osp.basename(osp.dirname(folder))}/'
                 f'{osp.basename(folder)}: {split["num_labeled"]} labeled images, '
                 f'{self.al.metric} {model["score"]:.4f}')
        return model

    def score(self, model: dict, folder: str, mc: bool, seed: int,
              split: Optional[dict] = None) -> dict:
        """Score the pool with the annotator (``pool_scores.json``); with ``split``, also
        by cross-fitted IoU branches trained on its labeled images (the ``crossfit`` field)."""
        out = osp.join(folder, 'pool_scores.json')
        records = self._score_pool(model, out, seed, self.al.score_ground_truth, mc)
        calib = iou_mae(records)
        if split is not None:
            records = xfit.combine(records, self._crossfit_scores(seed, split, folder))
            calib.update(iou_mae(records, 'crossfit', 'crossfit'))
            dump_json_atomic(dict(records=records, summary=dict(num_images=len(records),
                                                                **calib)), out)
        for name, key in (('IoU branch', 'iou'), ('cross-fitted IoU branches', 'crossfit')):
            if f'{key}_mae' in calib:
                self.log(f'[al] {name} on the pool: MAE {calib[f"{key}_mae"]:.4f} '
                         f'(predicting the mean: {calib["mean_baseline_mae"]:.4f}), rank '
                         f'correlation {calib[f"{key}_spearman"]:.3f}')
        return dict(scores=out, **calib)

    def _score_pool(self, model: dict, out: str, seed: int, oracle: bool = False,
                    mc: bool = False) -> List[dict]:
        """:mod:`mmsegsup.cli.al_score` on a trained model's pool; its records."""
        args = ['mmsegsup.cli.al_score', model['config'], model['checkpoint'], '--out', out,
                '--seed', str(seed)]
        if oracle:
            args.append('--oracle')
        if mc:
            args += ['--mc-passes', str(self.al.mc_passes)]
        self.tool(args)
        return load_records(out)

    def _crossfit_scores(self, seed: int, split: dict, folder: str) -> List[List[dict]]:
        """Train the fold models of a labeled split (each its own stages) and return each
        one's pool records."""
        settings = self.al.crossfit
        seg_iters, branch_iters = xfit.schedule(self._config(seed), settings)
        labeled = _read_coco(split['labeled'])
        ids = [im['id'] for im in labeled['images']]
        folds = xfit.fold_split(ids, settings['folds'], seed)
        stage_dir = osp.relpath(folder, self.run_dir).replace(osp.sep, '_')
        out = []
        for k, held_out in enumerate(folds):
            fold_dir = osp.join(folder, 'crossfit', f'fold{k}')
            name = f'{stage_dir}_crossfit_fold{k}'

            def segment(held_out=held_out, fold_dir=fold_dir):
                rest = sorted(set(ids) - set(held_out))
                paths = dict(fit=osp.join(fold_dir, 'fit.json'),
                             held_out=osp.join(fold_dir, 'held_out.json'))
                dump_json_atomic(coco_subset(labeled, rest), paths['fit'])
                dump_json_atomic(coco_subset(labeled, held_out), paths['held_out'])
                cfg = xfit.segmentation_config(self._annotator(seed, split, paths['fit']),
                                               seg_iters)
                model = self.train_tool(self._dump(cfg, 'segment', fold_dir),
                                        osp.join(fold_dir, 'segment'))
                return dict(model, **paths)

            seg = self.stage(f'{name}_segment', segment)

            def branch(seg=seg, fold_dir=fold_dir):
                cfg = xfit.branch_config(self._annotator(seed, split, seg['held_out']),
                                         seg['checkpoint'], branch_iters,
                                         settings['branch_options'])
                return self.train_tool(self._dump(cfg, 'branch', fold_dir),
                                       osp.join(fold_dir, 'branch'))

            model = self.stage(f'{name}_branch', branch)

            def score(model=model, fold_dir=fold_dir):
                scores = osp.join(fold_dir, 'pool_scores.json')
                self._score_pool(model, scores, seed)
                return dict(scores=scores)

            out.append(load_records(self.stage(f'{name}_score', score)['scores']))
        return out

    def select(self, strategy: dict, scores: dict, split: dict, folder: str,
               seed: int, model: dict) -> dict:
        selector = build_selector(strategy)
        records = load_records(scores['scores'])
        check_pool(records, self.al.num_per_round)
        chosen = selector.select(records, self.al.num_per_round, seed)
        picked = [r for r in records if r['img_id'] in set(chosen)]

        def mean(key):
            vals = [float(r[key]) for r in picked if r.get(key) is not None]
            return sum(vals) / len(vals) if vals else ''

        coco = _read_coco(split['source'])
        ask = coco_subset(coco, chosen, with_annotations=False)
        out = dict(selected=chosen, num_selected=len(chosen), mean_score=mean('score'),
                   mean_oracle=mean('oracle'), mean_crossfit=mean('crossfit'),
                   objects_per_image=mean('num_objects'),
                   mean_object_size=mean('mean_object_size'))
        if self.al.prefill:
            predictions = self._prefill(model, ask, split['source'], folder, seed)
            if self.al.labels == 'ground_truth':
                out.update(self._price(predictions, coco_subset(coco, chosen)))
        dump_json_atomic(ask, osp.join(folder, TO_ANNOTATE))
        write_text_atomic(''.join(im['file_name'] + '\n' for im in ask['images']),
                          osp.join(folder, 'to_annotate.txt'))
        return out

    def _prefill(self, model: dict, ask: dict, source: str, folder: str,
                 seed: int) -> List[dict]:
        """The round's masks of the selected images (``prefill.json``) and, for people,
        the pre-filled exports of ``annotation_tool``."""
        dataset = self._train_dataset(self._config(seed))
        root = dataset.data_prefix.get('img', dataset.data_prefix.get('img_path', ''))
        predictions = predict_files(model['config'], model['checkpoint'], ask, root,
                                    self._weak_file(self._seed_dir(seed), source))
        dump_json_atomic(predictions, osp.join(folder, PREFILL))
        if self.al.labels == 'human':
            export_selection(ask, predictions, folder, self.al.annotation_tool,
                             image_url(root, self.al.image_url),
                             osp.relpath(model['checkpoint'], self.work_dir))
        return predictions

    def _price(self, predictions: List[dict], labels: dict) -> dict:
        """Seconds to annotate the labeled images from scratch and from the pre-fill."""
        return dict(zip(PRICES, price_prefill(predictions, labels, self.al.prefill_iou)))

    def next_split(self, split: dict, selection: dict, folder: str,
                   labels_file: Optional[str]) -> dict:
        labeled = _read_coco(split['labeled'])
        ids = [im['id'] for im in labeled['images']] + list(selection['selected'])
        if self.al.labels == 'human':
            if labels_file is None:
                raise AwaitingLabels(
                    f'{len(selection["selected"])} images to annotate are listed in '
                    f'{osp.join(folder, "to_annotate.txt")} (COCO images: {TO_ANNOTATE}; '
                    'pre-filled for the annotation tools beside it); rerun with --labels '
                    'EXPORT.json (a COCO file, a Label Studio JSON export or a CVAT COCO 1.0 '
                    'export with their annotations)')
            given = read_labels(labels_file, _read_coco(osp.join(folder, TO_ANNOTATE)))
            out = self._write_split(folder, split['source'], ids, given)
            if osp.isfile(osp.join(folder, PREFILL)):
                out.update(self._price(load_json(osp.join(folder, PREFILL), 'pre-fill'), given))
            return out
        return self._write_split(folder, split['source'], ids)

    # ------------------------------------------------------------------ driver
    def _seed_dir(self, seed: int) -> str:
        return osp.join(self.work_dir, f'seed{seed}')

    def round0(self, seed: int) -> None:
        """Round 0 of a seed: the initial split, its annotator, the pool's scores."""
        seed_dir = self.run_dir = self._seed_dir(seed)
        split0 = self.stage('round0_split', lambda: self.initial_split(seed, seed_dir))
        r0 = osp.join(seed_dir, 'round0')
        model0 = self.stage('round0_train', lambda: self.train(seed, split0, r0))
        self.stage('round0_score', lambda: self.score(
            model0, r0, self._needs('mc_std'), seed,
            split0 if self._needs('crossfit') else None))

    def _needs(self, field: str) -> bool:
        return any(needs(s, field) for s in self.al.strategies)

    def strategy_rounds(self, seed: int, strategy: dict,
                        labels_file: Optional[str]) -> Dict[str, object]:
        """The rounds of one strategy after its seed's round 0: the rows of the results and
        selections tables, and the message of a round waiting for human labels (or None)."""
        self.run_dir = self._seed_dir(seed)
        split, model, scores = (self.done(f'round0_{k}') for k in ('split', 'train', 'score'))
        name = build_selector(strategy).name
        mc = needs(strategy, 'mc_std')
        crossfit = needs(strategy, 'crossfit')
        out = dict(results=[self._row(seed, name, 0, split, model, scores)], selections=[],
                   awaiting=None)
        step = self.al.num_per_round
        for r in range(1, self.al.rounds + 1):
            # N' in the names: runs with other N' share round 0 in the same work folder
            folder = osp.join(self._seed_dir(seed), name, f'n{step}_round{r}')
            stage = f'{name}_n{step}_round{r}'
            prev_split, prev_scores = split, scores
            selection = self.stage(
                f'{stage}_select',
                lambda: self.select(strategy, prev_scores, prev_split, folder, seed, model))
            row = dict(seed=seed, strategy=name, round=r, num_per_round=step, **selection)
            out['selections'].append(row)
            try:
                split = self.stage(f'{stage}_split',
                                   lambda: self.next_split(prev_split, selection, folder,
                                                           labels_file))
            except AwaitingLabels as msg:
                out['awaiting'] = str(msg)
                return out
            row.update({k: split[k] for k in PRICES if k in split})  # priced at import
            labels_file = None  # a labels file answers one round only
            model = self.stage(f'{stage}_train',
                               lambda: self.train(seed, split, folder))
            # cross-fitted scores only where a selection follows: fold models are trainings
            scores = self.stage(f'{stage}_score', lambda: self.score(
                model, folder, mc, seed, split if crossfit and r < self.al.rounds else None))
            out['results'].append(self._row(seed, name, r, split, model, scores))
        return out

    def _row(self, seed: int, name: str, rnd: int, split: dict, model: dict,
             scores: dict) -> dict:
        return dict(seed=seed, strategy=name, round=rnd, num_per_round=self.al.num_per_round,
                    num_labeled=split['num_labeled'], metric=self.al.metric,
                    score=model['score'], **{k: scores.get(k, '') for k in CALIBRATION})
