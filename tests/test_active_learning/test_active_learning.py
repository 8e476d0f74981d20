"""Mask-guided active learning: selection strategies, pool scoring maths, the loop and report."""
import csv
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from mmengine.config import Config

from mmsegsup.active_learning import (ClosestToBeta, MCDropoutSelector, OracleBeta,
                                      RandomSelector, build_selector, iou_mae, load_settings,
                                      oracle_score, pixel_std, true_ious, write_report)
from al_utils import LOOP_CPU, human_round, loop_config, tiny_loop
from tools_utils import REPO, run



def _records(scores, oracle=None, mc=None):
    return [dict(img_id=10 + i, score=s, oracle=None if oracle is None else oracle[i],
                 mc_std=None if mc is None else mc[i]) for i, s in enumerate(scores)]


# ---- strategies ---------------------------------------------------------------------------
def test_closest_to_beta_picks_nearest_scores():
    recs = _records([0.05, 0.31, 0.52, 0.48, 0.9, 0.29])
    assert sorted(ClosestToBeta(0.5).select(recs, 2)) == [12, 13]
    assert sorted(ClosestToBeta(0.3).select(recs, 3)) == [11, 13, 15]
    assert ClosestToBeta(0.3).select(recs, 1) in ([11], [15])
    assert ClosestToBeta(0.0).select(recs, 1) == [10]
    assert ClosestToBeta(1.0).select(recs, 1) == [14]


def test_oracle_beta_reads_the_true_iou():
    recs = _records([0.9, 0.1, 0.5], oracle=[0.5, 0.9, 0.1])
    assert OracleBeta(0.5).select(recs, 1) == [10]
    assert ClosestToBeta(0.5).select(recs, 1) == [12]
    with pytest.raises(ValueError, match="needs the 'oracle'"):
        OracleBeta(0.5).select(_records([0.2, 0.3]), 1)


def test_mc_dropout_highest_and_lowest():
    recs = _records([0.5] * 4, mc=[0.2, 0.05, 0.4, 0.1])
    assert MCDropoutSelector('highest').select(recs, 2) == [12, 10]
    assert MCDropoutSelector('lowest').select(recs, 2) == [11, 13]
    with pytest.raises(ValueError, match='mc_passes'):
        MCDropoutSelector().select(_records([0.5, 0.2]), 1)


def test_selection_is_deterministic_given_the_seed():
    recs = _records(list(np.linspace(0, 1, 50)))
    a = RandomSelector().select(recs, 10, seed=3)
    assert a == RandomSelector().select(recs, 10, seed=3)
    assert a != RandomSelector().select(recs, 10, seed=4)
    assert len(set(a)) == 10
    ties = _records([0.5] * 20)  # all tie: the seeded permutation decides, reproducibly
    assert ClosestToBeta(0.5).select(ties, 5, 1) == ClosestToBeta(0.5).select(ties, 5, 1)


@pytest.mark.parametrize('beta', [-0.1, 1.5, 'high', True])
def test_beta_outside_unit_interval(beta):
    with pytest.raises(ValueError, match=r'beta must be a number in \[0, 1\]'):
        ClosestToBeta(beta)


def test_pool_errors():
    with pytest.raises(ValueError, match='pool is empty'):
        RandomSelector().select([], 1)
    with pytest.raises(ValueError, match="N'=5 images to select, but the unlabeled pool has "
                                         'only 3'):
        ClosestToBeta(0.4).select(_records([0.1, 0.2, 0.3]), 5)
    with pytest.raises(ValueError, match='positive integer'):
        RandomSelector().select(_records([0.1]), 0)


def test_registry_builds_strategies_by_name():
    assert build_selector(dict(type='ClosestToBeta', beta=0.3)).name == 'beta0.3'
    assert build_selector(dict(type='OracleBeta', beta=0.6)).name == 'oracle-beta0.6'
    assert build_selector(dict(type='MCDropoutSelector', mode='lowest')).name == \
        'mc-dropout-lowest'
    with pytest.raises(ValueError, match='a selection strategy is a dict'):
        build_selector('random')
    with pytest.raises(KeyError):
        build_selector(dict(type='Nope'))


# ---- scoring maths ------------------------------------------------------------------------
def _masks(*boxes, size=8):
    out = np.zeros((len(boxes), size, size), np.uint8)
    for k, (y0, y1, x0, x1) in enumerate(boxes):
        out[k, y0:y1, x0:x1] = 1
    return out


def test_true_ious_pair_by_hungarian_and_class():
    gt = _masks((0, 4, 0, 4), (4, 8, 4, 8))            # 16 px each
    pred = _masks((4, 8, 4, 8), (0, 4, 0, 2), (0, 1, 7, 8))
    # pred0 = gt1 exactly, pred1 covers half of gt0, pred2 is unpaired (3 preds, 2 objects)
    assert true_ious(pred, gt).tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert oracle_score(pred, gt) == pytest.approx(0.5)
    # with classes, pred0 may not take gt1 if their classes differ
    assert true_ious(pred, gt, [0, 0, 1], [0, 1]).tolist() == pytest.approx([0.0, 0.5, 0.0])


def test_oracle_score_empty_cases():
    empty = np.zeros((0, 8, 8), np.uint8)
    assert oracle_score(empty, empty) == 1.0
    assert oracle_score(empty, _masks((0, 2, 0, 2))) == 0.0
    assert oracle_score(_masks((0, 2, 0, 2)), empty) == 0.0


def test_iou_mae_and_constant_baseline():
    recs = _records([0.5, 0.5, 0.9], oracle=[0.4, 0.6, 1.0])
    out = iou_mae(recs)
    assert out['iou_mae'] == pytest.approx(0.1)
    mean = (0.4 + 0.6 + 1.0) / 3
    assert out['mean_baseline_mae'] == pytest.approx(
        np.mean([abs(mean - 0.4), abs(mean - 0.6), abs(mean - 1.0)]))
    assert iou_mae(_records([0.5])) == {}


def test_pixel_std_of_passes():
    import torch
    same = [torch.ones(2, 4, 4)] * 3
    assert pixel_std(same) == 0.0
    # one pixel on in one pass of two: std 0.5 there, 1 pixel of 2*16
    a, b = torch.zeros(2, 4, 4), torch.zeros(2, 4, 4)
    b[0, 0, 0] = 1
    assert pixel_std([a, b]) == pytest.approx(0.5 / 32)
    # a missing step counts as an empty mask
    assert pixel_std([torch.ones(1, 4, 4), torch.zeros(0, 4, 4)]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match='at least 2 passes'):
        pixel_std([a])


# ---- settings and report ------------------------------------------------------------------
def test_loop_settings_checked(tmp_path):
    al = load_settings(LOOP_CPU)
    assert al.labels == 'ground_truth' and al.annotator.endswith('.py') and al.rounds == 2
    with pytest.raises(ValueError, match='beta must be'):
        load_settings(loop_config(tmp_path, "active_learning = dict(strategies=["
                                              "dict(type='ClosestToBeta', beta=2)])"))
    with pytest.raises(ValueError, match='labels must be one of'):
        load_settings(loop_config(tmp_path, "active_learning = dict(labels='crowd')"))
    with pytest.raises(ValueError, match='share a name'):
        load_settings(loop_config(tmp_path, "active_learning = dict(strategies=["
                                              "dict(type='RandomSelector')] * 2)"))
    with pytest.raises(FileNotFoundError, match='annotator config'):
        load_settings(loop_config(tmp_path, "active_learning = dict(annotator='no.py')"))
    # one vocabulary for weak-label kinds: the thesis's names are read as ours
    assert load_settings(loop_config(tmp_path, "active_learning = dict(weak_type='IL+C')")
                         ).weak_type == 'labels+counts'


def test_report_tables_and_figures(tmp_path):
    rows = []
    for seed in (0, 1):
        for strategy, gain in (('random', 0.0), ('beta0.3', 0.05), ('beta0.5', 0.02),
                               ('oracle-beta0.5', 0.03), ('mc-dropout-highest', -0.01)):
            for rnd, n in enumerate((20, 40)):
                rows.append(dict(seed=seed, strategy=strategy, round=rnd, num_labeled=n,
                                 metric='coco/segm_mAP_50',
                                 score=0.3 + 0.1 * rnd + gain * rnd * (1 + seed) + 0.01 * seed,
                                 iou_mae=0.1, mean_baseline_mae=0.2, num_scored=10))
    with open(tmp_path / 'al_results.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    sel = [dict(seed=0, strategy=s, round=1, num_selected=20, mean_score=0.4, mean_oracle=0.4,
                objects_per_image=k, mean_object_size=0.1 * k,
                annotation_s_scratch=8640.0 * k, annotation_s_prefilled=4320.0 * k)
           for k, s in enumerate(('random', 'beta0.3', 'beta0.5'), 1)]
    with open(tmp_path / 'al_selections.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(sel[0]))
        w.writeheader()
        w.writerows(sel)
    paths = write_report(str(tmp_path))
    assert set(paths) == {'table_md', 'table_csv', 'metric_vs_n', 'beta', 'selected_sets'}
    md = open(paths['table_md']).read()
    # beta0.3 at 40 images: seeds give 0.45 and 0.46
    # beta0.3 at 40 images: seeds give 0.45 and 0.51; ± the standard error
    assert '| beta0.3 | 0.3050 ± 0.0050 | 0.4800 ± 0.0300 |' in md
    # paired by seed against random (round 0 is shared, so no cell at 20): beta0.3 gains
    # 0.05 and 0.10, t = 3 with 1 degree of freedom
    assert '| beta0.3 | +0.0750 ± 0.0250, 2/2, p 0.205 |' in md
    assert '| mc-dropout-highest | -0.0150 ± 0.0050, 0/2, p 0.205 |' in md
    # annotation time of the selections: 0.1 / 0.05 days for random, half saved
    assert '| random | 1 | 20 | 0.1000 | 0.0500 | 50 % |' in md
    assert '| beta0.5 | 1 | 20 | 0.3000 | 0.1500 | 50 % |' in md
    for key in ('metric_vs_n', 'beta', 'selected_sets'):
        assert open(paths[key], 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    with pytest.raises(FileNotFoundError, match='no results'):
        write_report(str(tmp_path / 'nothing'))


# ---- the loop from the CLI ----------------------------------------------------------------
@pytest.mark.slow
def test_two_rounds_from_the_cli_and_a_killed_round_resumes(tmp_path):
    strategies = ("[dict(type='ClosestToBeta', beta=0.5), "
                  "dict(type='MCDropoutSelector', mode='highest')]")
    # Until the kill, the loop's stages run as real tool processes (the README's path).
    cfg = tiny_loop(tmp_path, strategies, iters=12, tool_process=True)
    work = tmp_path / 'work'
    cmd = [sys.executable, 'tools/active_learning.py', cfg, '--work-dir', str(work)]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    # Kill the loop once round 1 of the first strategy is training, then rerun it.
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    ckpt_dir = work / 'seed0' / 'beta0.5' / 'n5_round1' / 'train'
    deadline = time.time() + 400
    while time.time() < deadline and proc.poll() is None:
        if ckpt_dir.is_dir() and any(p.suffix == '.pth' for p in ckpt_dir.iterdir()):
            break
        time.sleep(0.5)
    assert proc.poll() is None, 'the loop ended before it could be interrupted'
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stages = work / 'seed0' / 'stages'
    assert (stages / 'round0_train.json').is_file()
    assert not (stages / 'beta0.5_n5_round1_train.json').is_file()
    round0_mtime = (work / 'seed0' / 'round0' / 'labeled.json').stat().st_mtime

    # The rerun: the same loop, its stages in this process (how they run is not part of what
    # they compute, so finished stages stay finished and the killed training resumes).
    assert tiny_loop(tmp_path, strategies, iters=12, tool_process=False) == cfg
    out = run(['tools/active_learning.py', cfg, '--work-dir', str(work)], timeout=900)
    log = out.stdout + out.stderr
    assert 'round0_train: done before, skipped' in log
    assert 'beta0.5_n5_round1_select: done before, skipped' in log
    assert (work / 'seed0' / 'round0' / 'labeled.json').stat().st_mtime == round0_mtime
    # resumed from its checkpoint, not restarted
    train_log = open(next((ckpt_dir).rglob('*.log'))).read() if list(ckpt_dir.rglob('*.log')) \
        else ''
    assert 'resumed' in train_log.lower() or 'resume' in log.lower() or train_log == ''

    with open(work / 'al_results.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert {(r['strategy'], r['round'], r['num_labeled']) for r in rows} == {
        (s, str(r), str(10 + 5 * r)) for s in ('beta0.5', 'mc-dropout-highest')
        for r in range(3)}
    for r in rows:  # the IoU branch's MAE is logged per round, beside the mean baseline
        assert 0 <= float(r['iou_mae']) <= 1 and 0 <= float(r['mean_baseline_mae']) <= 1
        assert 0 <= float(r['score']) <= 1
    # nested, growing splits; selected images come from the previous round's pool
    def ids(path):
        with open(path) as f:
            return {im['id'] for im in json.load(f)['images']}
    r0 = ids(work / 'seed0' / 'round0' / 'labeled.json')
    r1 = ids(work / 'seed0' / 'beta0.5' / 'n5_round1' / 'labeled.json')
    r2 = ids(work / 'seed0' / 'beta0.5' / 'n5_round2' / 'labeled.json')
    assert r0 < r1 < r2 and len(r2) == 20
    pool0 = ids(work / 'seed0' / 'round0' / 'unlabeled.json')
    assert r1 - r0 <= pool0 and not (r0 & pool0)
    with open(work / 'seed0' / 'round0' / 'pool_scores.json') as f:
        recs = json.load(f)['records']
    assert all(r['mc_std'] is not None and r['oracle'] is not None for r in recs)
    for name in ('al_table.md', 'al_metric_vs_n.png', 'al_selected_sets.png'):
        assert (work / name).is_file()


@pytest.mark.slow
def test_human_labels_stop_and_continue(tmp_path):
    cfg, work, folder, _ = human_round(tmp_path)
    with open(folder / 'to_annotate.json') as f:
        ask = json.load(f)
    assert len(ask['images']) == 5 and not ask['annotations']
    assert len(open(folder / 'to_annotate.txt').read().split()) == 5
    # A labels file for other images is refused, naming what is missing.
    src = tmp_path / 'shapes' / 'annotations' / 'instances_train.json'
    with open(src) as f:
        coco = json.load(f)
    wrong = dict(coco, images=coco['images'][:1], annotations=[])
    (tmp_path / 'wrong.json').write_text(json.dumps(wrong))
    bad = subprocess.run([sys.executable, 'tools/active_learning.py', cfg, '--work-dir',
                          str(work), '--labels', str(tmp_path / 'wrong.json')], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode != 0 and 'expected the annotations of the 5 selected' in bad.stderr
    # The annotators' answer: here the real masks of the asked images.
    want = {im['id'] for im in ask['images']}
    answer = dict(coco, images=[im for im in coco['images'] if im['id'] in want],
                  annotations=[a for a in coco['annotations'] if a['image_id'] in want])
    (tmp_path / 'answer.json').write_text(json.dumps(answer))
    done = run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--labels',
                str(tmp_path / 'answer.json')], timeout=600)
    assert 'round0_train: done before, skipped' in done.stdout + done.stderr
    with open(folder / 'labeled.json') as f:
        labeled = json.load(f)
    assert len(labeled['images']) == 15
    assert sum(a['image_id'] in want for a in labeled['annotations']) == \
        len(answer['annotations'])


# ---- configs ------------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['al_iou-wrsis_shapes-64x64_cpu.py',
                                  'al_iou-wrsis_r101_voc-sbd.py'])
def test_loop_configs_resolve_and_their_annotator_builds(name):
    """Each loop config's annotator, with its options, builds an IoU-W-RSIS whose IoU branch
    regresses sqrt(IoU) and a freeze hook (thesis 5.3); the VOC one has every strategy of
    table 5.2 (random, 2 MC-dropout, 11 beta predicted, 11 beta oracle) and 5 seeds."""
    import torch
    from mmsegsup.registry import MODELS
    from mmsegsup.active_learning import ActiveLearningRun
    path = osp.join(REPO, 'configs/active_learning', name)
    run_ = ActiveLearningRun(path, '/nonexistent')
    cfg = run_._config(0)
    assert cfg.model.head.iou_branch.target == 'sqrt'
    assert [h.type for h in cfg.custom_hooks] == ['FreezeSegmentationHook']
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert model.bbox_head.iou_branch is not None
    assert isinstance(model.bbox_head.encoder_dropout, torch.nn.Dropout)
    if 'voc' in name:
        assert len(run_.al.strategies) == 25 and run_.al.seeds == [0, 1, 2, 3, 4]
        assert cfg.train_dataloader.dataset.ann_file.endswith('instances_train.json')
        assert cfg.train_cfg.max_epochs == 400 and cfg.custom_hooks[0].freeze_epoch == 150


@pytest.mark.slow
def test_iou_branch_beats_predicting_the_mean_on_held_out_images(tmp_path):
    """IoU-W-RSIS trained through tools/train.py (segmentation, then the IoU branch alone),
    scored on the held-out val images through tools/al_score.py: the MAE of its image scores
    against the true mean IoUs is clearly below that of predicting the mean IoU everywhere."""
    root = str(tmp_path / 'shapes') + '/'
    val = root + 'annotations/instances_val.json'
    cfg = tmp_path / 'iou_wrsis.py'
    cfg.write_text(f"""
_base_ = [{osp.join(REPO, 'configs/active_learning/iou-wrsis_r18-c16_shapes-64x64_cpu.py')!r}]
data_root = {root!r}
train_dataloader = dict(dataset=dict(data_root=data_root, num_images=300),
                        sampler=dict(type='InfiniteSampler'))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=[
    dict(type='LoadImageFromFile'), dict(type='CheckImageAnnotations'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='LoadWeakLabels', ann_file={val!r}, weak_type='labels+counts'),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                          'scale_factor', 'weak_tokens', 'weak_counts'))]))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file={val!r})
test_evaluator = val_evaluator
train_cfg = dict(max_iters=800, val_interval=800)
custom_hooks = [dict(type='FreezeSegmentationHook', freeze_iter=600)]
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50)]
default_hooks = dict(checkpoint=dict(interval=800), logger=dict(interval=100))
""")
    work = tmp_path / 'work'
    run(['tools/train.py', str(cfg), '--work-dir', str(work)], timeout=900)
    out = tmp_path / 'scores.json'
    run(['tools/al_score.py', str(cfg), str(work / 'iter_800.pth'), '--out', str(out),
         '--oracle'], timeout=600, subprocess=True)
    with open(out) as f:
        summary = json.load(f)['summary']
    print(f"held-out IoU MAE {summary['iou_mae']:.4f} vs predicting the mean "
          f"{summary['mean_baseline_mae']:.4f} ({summary['num_scored']} images)")
    assert summary['num_scored'] == 100
    assert summary['iou_mae'] < 0.85 * summary['mean_baseline_mae']


# ---- cross-fitted IoU branches (beyond the thesis) ----------------------------------------
def test_crossfit_folds_partition_the_labeled_images():
    from mmsegsup.active_learning import crossfit
    ids = list(range(100, 111))
    folds = crossfit.fold_split(ids, 3, seed=4)
    assert sorted(i for f in folds for i in f) == ids
    assert sorted(len(f) for f in folds) == [3, 4, 4]
    assert folds == crossfit.fold_split(list(reversed(ids)), 3, seed=4)  # order-free, seeded
    assert folds != crossfit.fold_split(ids, 3, seed=5)
    with pytest.raises(ValueError, match='one labeled image per fold'):
        crossfit.fold_split([1, 2], 3, seed=0)


def test_crossfit_settings_and_schedule(tmp_path):
    from mmengine.config import Config
    from mmsegsup.active_learning import crossfit
    owner = 'loop.py'
    assert crossfit.settings({}, owner)['folds'] == 2
    for bad, msg in ((dict(folds=1), 'folds must be'), (dict(fold=2), 'unknown'),
                     (dict(branch_iters=0), 'branch_iters must be')):
        with pytest.raises(ValueError, match=msg):
            crossfit.settings(bad, owner)
    cfg = Config(dict(model=dict(type='RSIS'),
                      train_cfg=dict(type='IterBasedTrainLoop', max_iters=500, val_interval=500),
                      custom_hooks=[dict(type='FreezeSegmentationHook', freeze_iter=400),
                                    dict(type='OtherHook')],
                      val_dataloader=dict(batch_size=1), val_cfg=dict(), val_evaluator=dict(),
                      param_scheduler=[dict(type='LinearLR', end=50)]))
    assert crossfit.schedule(cfg, crossfit.settings({}, owner)) == (400, 100)
    assert crossfit.schedule(cfg, crossfit.settings(dict(branch_iters=30), owner)) == (400, 30)
    no_hook = Config(dict(train_cfg=dict(max_iters=500), custom_hooks=[]))
    with pytest.raises(ValueError, match='segmentation_iters and branch_iters'):
        crossfit.schedule(no_hook, crossfit.settings({}, owner))
    assert crossfit.schedule(no_hook, crossfit.settings(
        dict(segmentation_iters=7, branch_iters=3), owner)) == (7, 3)
    # fold model, stage 1: segmentation only, no freeze, no validation
    seg = crossfit.segmentation_config(cfg, 400)
    assert seg.train_cfg.max_iters == 400 and 'val_interval' not in seg.train_cfg
    assert [h.type for h in seg.custom_hooks] == ['OtherHook']
    assert seg.val_dataloader is None and seg.val_cfg is None and seg.val_evaluator is None
    assert cfg.train_cfg.max_iters == 500  # the annotator's config is left alone
    # stage 2: from stage 1's weights, only the IoU branch trains from its first iteration
    branch = crossfit.branch_config(cfg, 'seg.pth', 100, {'param_scheduler': []})
    # through init_cfg: the driver's --resume would drop load_from
    assert branch.model.init_cfg == dict(type='Pretrained', checkpoint='seg.pth')
    assert branch.load_from is None and branch.train_cfg.max_iters == 100
    assert [(h.type, h.get('freeze_iter')) for h in branch.custom_hooks] == [
        ('OtherHook', None), ('FreezeSegmentationHook', 0)]
    assert branch.param_scheduler == [] and branch.val_dataloader is None


def test_crossfit_score_is_the_mean_over_fold_models():
    from mmsegsup.active_learning import crossfit
    main = _records([0.9, 0.8], oracle=[0.3, 0.6])
    folds = [[dict(img_id=10, score=0.2), dict(img_id=11, score=0.7)],
             [dict(img_id=11, score=0.5), dict(img_id=10, score=0.4)]]
    out = crossfit.combine(main, folds)
    assert [r['crossfit'] for r in out] == pytest.approx([0.3, 0.6])
    assert [r['score'] for r in out] == [0.9, 0.8]  # the annotator's own score is kept
    calib = iou_mae(out, 'crossfit', 'crossfit')
    assert calib['crossfit_mae'] == pytest.approx(0.0, abs=1e-12)
    assert calib['crossfit_spearman'] == pytest.approx(1.0)
    assert iou_mae(out)['iou_spearman'] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match='1 of the 2 fold models'):
        crossfit.combine(main, [folds[0], folds[1][:1]])
    with pytest.raises(ValueError, match='no IoU score'):
        crossfit.combine(main, [folds[0], [dict(img_id=10, score=None)]])


def test_closest_to_beta_on_the_crossfit_score():
    recs = [dict(r, crossfit=c) for r, c in zip(_records([0.5, 0.5, 0.5]), (0.1, 0.45, 0.9))]
    selector = build_selector(dict(type='ClosestToBeta', beta=0.5, score='crossfit'))
    assert selector.name == 'crossfit-beta0.5' and selector.select(recs, 1) == [11]
    with pytest.raises(ValueError, match="needs the 'crossfit'"):
        selector.select(_records([0.5, 0.5]), 1)
    with pytest.raises(ValueError, match='score must be one of'):
        ClosestToBeta(0.5, score='ensemble')


def test_crossfit_loop_config_and_settings():
    path = osp.join(REPO, 'configs/active_learning/al_iou-wrsis_shapes-64x64_crossfit_cpu.py')
    al = load_settings(path)
    assert al.rounds == 1 and al.crossfit['folds'] == 4
    names = [build_selector(s).name for s in al.strategies]
    assert names == ['random', 'crossfit-beta0.3', 'crossfit-beta0.5', 'crossfit-beta0.7',
                     'beta0.5', 'oracle-beta0.5', 'mc-dropout-highest']
    # the fold models' branch stage regresses the IoU itself with a squared loss
    from mmdet.models.losses import MSELoss
    from mmsegsup.active_learning import crossfit
    from mmsegsup.registry import MODELS
    annotator = Config.fromfile(osp.join(REPO, al.annotator))
    annotator.merge_from_dict(al.annotator_options)
    settings = crossfit.settings(al.crossfit, path)
    seg_iters, branch_iters = crossfit.schedule(annotator, settings)
    assert (seg_iters, branch_iters) == (400, 300)
    branch = crossfit.branch_config(annotator, 'seg.pth', branch_iters,
                                    settings['branch_options'])
    model = MODELS.build(branch.model)
    assert model.bbox_head.iou_branch.target == 'iou'
    assert isinstance(model.bbox_head.iou_branch.loss, MSELoss)
    assert branch.param_scheduler == []
    # the annotator keeps the thesis's branch: L1 on sqrt(IoU)
    assert annotator.model.head.iou_branch.target == 'sqrt'
    # the thesis loop asks for no cross-fitting
    assert load_settings(LOOP_CPU).crossfit is None


@pytest.mark.slow
def test_crossfit_loop_from_the_cli_and_rerun(tmp_path):
    """The cross-fitted scheme end to end through tools/active_learning.py: fold models train
    on their own splits, score the pool, their mean is the 'crossfit' score the strategy
    selects by and whose calibration is recorded; a rerun finds every stage done, and a
    fold stage whose marker is gone runs again."""
    import torch

    import mmsegsup  # noqa: F401  (allow-lists the checkpoints' globals for torch.load)
    cfg = tiny_loop(tmp_path, "[dict(type='ClosestToBeta', beta=0.5, score='crossfit'), "
                               "dict(type='RandomSelector')]", rounds=1, iters=6)
    with open(cfg, 'a') as f:
        f.write("active_learning.update(crossfit=dict(folds=2, branch_iters=2))\n")
    work = tmp_path / 'work'
    run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--num-initial', '8'],
        timeout=900)
    seed = work / 'seed0'
    labeled = {im['id'] for im in json.load(open(seed / 'round0' / 'labeled.json'))['images']}
    assert len(labeled) == 8
    held_out = []
    for k in range(2):
        fold = seed / 'round0' / 'crossfit' / f'fold{k}'
        fit = {im['id'] for im in json.load(open(fold / 'fit.json'))['images']}
        out = {im['id'] for im in json.load(open(fold / 'held_out.json'))['images']}
        assert fit | out == labeled and not fit & out and len(out) == 4
        held_out.append(out)
        seg_cfg = open(fold / 'configs' / 'segment.py').read()
        branch_cfg = open(fold / 'configs' / 'branch.py').read()
        assert 'fit.json' in seg_cfg and 'held_out.json' in branch_cfg
        assert "freeze_iter=0" in branch_cfg.replace(' ', '')
        # the branch stage starts from the segment stage's weights and trains the branch only
        seg = torch.load(fold / 'segment' / 'iter_4.pth', map_location='cpu')['state_dict']
        branch = torch.load(fold / 'branch' / 'iter_2.pth', map_location='cpu')['state_dict']
        assert seg.keys() == branch.keys()
        changed = {k for k in seg if not torch.equal(seg[k], branch[k])}
        assert changed and all('iou_branch' in k for k in changed), sorted(changed)[:5]
    assert held_out[0] | held_out[1] == labeled
    recs = json.load(open(seed / 'round0' / 'pool_scores.json'))['records']
    folds = [{r['img_id']: r['score'] for r in json.load(open(
        seed / 'round0' / 'crossfit' / f'fold{k}' / 'pool_scores.json'))['records']}
        for k in range(2)]
    for r in recs:
        assert r['crossfit'] == pytest.approx((folds[0][r['img_id']] + folds[1][r['img_id']]) / 2)
    chosen = {im['id'] for im in json.load(open(
        seed / 'crossfit-beta0.5' / 'n5_round1' / 'to_annotate.json'))['images']}
    expected = ClosestToBeta(0.5, score='crossfit').select(recs, 5, 0)
    assert chosen == set(expected)
    with open(work / 'al_results.csv', newline='') as f:
        rows = {(r['strategy'], r['round']): r for r in csv.DictReader(f)}
    r0 = rows[('crossfit-beta0.5', '0')]
    assert 0 <= float(r0['crossfit_mae']) <= 1 and -1 <= float(r0['crossfit_spearman']) <= 1
    assert 'cross-fitted MAE' in open(work / 'al_table.md').read()
    # the last round selects nothing more: no fold models there
    assert not (seed / 'crossfit-beta0.5' / 'n5_round1' / 'crossfit').exists()
    # rerun: every stage is done; a fold stage without its marker runs again
    (seed / 'stages' / 'round0_crossfit_fold1_score.json').unlink()
    (seed / 'stages' / 'round0_score.json').unlink()
    again = run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--num-initial',
                 '8'], timeout=900)
    log = again.stdout + again.stderr
    assert 'round0_crossfit_fold0_branch: done before, skipped' in log
    assert 'round0_crossfit_fold1_branch: done before, skipped' in log
    assert 'round0_crossfit_fold1_score ...' in log
    assert 'crossfit-beta0.5_n5_round1_train: done before, skipped' in log
