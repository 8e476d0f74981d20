"""The BASIS pipeline driver through tools/basis_pipeline.py: stages, CSV row with the budget,
plot, rerun skipping finished stages, and clear errors for bad settings."""
import csv
import json
import os.path as osp

import pytest

from mmsegsup.basis import BasisRun, load_settings, upsert_row
from mmsegsup.budget import budget_days, stats_from_coco
from tools_utils import REPO, run, tiny_shapes_options

PIPELINE = osp.join(REPO, 'configs/basis/basis_rsis_shapes-64x64_cpu.py')
SEMANTIC = osp.join(REPO, 'configs/basis/basis_deeplabv3plus_shapes-semantic-64x64_cpu.py')


def _tiny(tmp_path, **basis) -> str:
    opts = tiny_shapes_options(tmp_path / 'data')
    settings = dict(dict(num_strong=6, score_thr=0.0, student_options=opts,
                         annotator_options=dict(opts, **{'model.test_cfg.stop_thr': 0.0}),
                         tool_process=False), **basis)
    path = tmp_path / 'pipeline.py'
    path.write_text(f'_base_ = [{PIPELINE!r}]\nbasis = {settings!r}\n')
    return str(path)


@pytest.mark.slow  # end to end through five tool runs (~2 min)
def test_pipeline_runs_all_stages_and_reports(tmp_path):
    cfg = _tiny(tmp_path, tool_process=True)  # each stage a real tool process
    work = tmp_path / 'work'
    run(['tools/basis_pipeline.py', cfg, '--work-dir', str(work)], timeout=900)
    with open(work / 'basis_results.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    row = rows[0]
    assert (row['num_strong'], row['num_weak'], row['weak_type'], row['seed']) == (
        '6', '10', 'none', '0')
    assert row['metric'] == 'coco/segm_mAP_50'
    assert 0 <= float(row['f_score']) <= 1 and 0 <= float(row['g_score']) <= 1
    stats = stats_from_coco(str(tmp_path / 'data/annotations/instances_train.json'))
    assert float(row['budget_days']) == pytest.approx(budget_days(6, stats=stats), abs=1e-6)
    assert (work / 'basis_budget.png').stat().st_size > 0
    g_cfg = open(work / 'N6_seed0' / 'configs' / 'g.py').read()
    assert 'MultiSourceSampler' in g_cfg and 'pseudo_instances.json' in g_cfg
    # Rerun: every stage is skipped, the row is replaced rather than duplicated.
    proc = run(['tools/basis_pipeline.py', cfg, '--work-dir', str(work)])
    assert proc.stdout.count('skipped') == 6
    with open(work / 'basis_results.csv') as f:
        assert len(list(csv.DictReader(f))) == 1


def test_bad_settings_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match='weak_type must be one of'):
        load_settings(_tiny(tmp_path, weak_type='boxes'))
    # one vocabulary of weak-label kinds: the thesis's aliases name the file format's kinds
    assert load_settings(_tiny(tmp_path, weak_type='IL+C')).weak_type == 'labels+counts'
    assert load_settings(_tiny(tmp_path, weak_type='IL')).weak_type == 'labels'
    with pytest.raises(FileNotFoundError, match='basis.student config nope.py not found'):
        load_settings(_tiny(tmp_path, student='nope.py'))
    big = BasisRun(_tiny(tmp_path, num_strong=17), str(tmp_path / 'w'), log=lambda m: None)
    with pytest.raises(ValueError, match=r'N=17 strong images is larger than .*16 images'):
        big.split()
    bad = tmp_path / 'other.csv'
    bad.write_text('a,b\n1,2\n')
    with pytest.raises(ValueError, match='not a BASIS results file'):
        upsert_row(str(bad), {})


@pytest.mark.slow
def test_semantic_pipeline_with_mmseg_models(tmp_path):
    root = str(tmp_path / 'data') + '/'
    opts = {'train_dataloader.dataset.data_root': root,
            'train_dataloader.dataset.num_images': 12, 'train_dataloader.batch_size': 4,
            'val_dataloader.dataset.data_root': root, 'val_dataloader.dataset.num_images': 4,
            'test_dataloader.dataset.data_root': root, 'test_dataloader.dataset.num_images': 4,
            'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2,
            'default_hooks.checkpoint.interval': 2}
    path = tmp_path / 'semantic.py'
    path.write_text(f'_base_ = [{SEMANTIC!r}]\nbasis = ' + repr(dict(
        num_strong=4, annotator_options=opts, student_options=opts, tool_process=False)) +
        '\n')
    work = tmp_path / 'work'
    run(['tools/basis_pipeline.py', str(path), '--work-dir', str(work)], timeout=900)
    labels = sorted((work / 'N4_seed0' / 'pseudo' / 'labels').iterdir())
    assert len(labels) == 8 and all(p.suffix == '.png' for p in labels)
    with open(work / 'basis_results.csv') as f:
        row = list(csv.DictReader(f))[0]
    assert row['metric'] == 'mIoU' and 0 <= float(row['g_score']) <= 100
    assert float(row['budget_days']) == pytest.approx(budget_days(4), abs=1e-6)  # VOC rates


@pytest.mark.slow
def test_weakly_labeled_pool_with_wrsis_annotator(tmp_path):
    """weak_type: the pool's labels + counts are written, W-RSIS reads them (one instance per
    token), the budget prices them, and the pseudo-labels' AP50 is logged."""
    wrsis = osp.join(REPO, 'configs/basis/basis_wrsis_shapes-64x64_cpu.py')
    val_json = str(tmp_path / 'data') + '/annotations/instances_val.json'
    weak_step = 3  # LoadWeakLabels in the W-RSIS test pipeline reads the val annotations
    cfg = _tiny(tmp_path, annotator_options=dict(
        tiny_shapes_options(tmp_path / 'data'), **{'model.test_cfg.stop_thr': 0.0},
        **{f'{split}_dataloader.dataset.pipeline.{weak_step}.ann_file': val_json
           for split in ('val', 'test')}))
    text = open(cfg).read().replace(repr(PIPELINE), repr(wrsis))
    open(cfg, 'w').write(text)
    work = tmp_path / 'work'
    proc = run(['tools/basis_pipeline.py', cfg, '--work-dir', str(work)], timeout=900)
    assert 'pseudo-labels: mask AP50' in proc.stdout
    run_dir = work / 'N6_seed0'
    weak = json.load(open(run_dir / 'splits' / 'weak-labels+counts.json'))
    pseudo = json.load(open(run_dir / 'pseudo' / 'pseudo_instances.json'))
    per_image = {im['id']: 0 for im in pseudo['images']}
    for ann in pseudo['annotations']:
        per_image[ann['image_id']] += 1
    names = {im['id']: im['file_name'] for im in pseudo['images']}
    # One instance per token (empty masks of the barely trained W-RSIS are dropped).
    assert all(n <= sum(weak['images'][names[i]].values()) for i, n in per_image.items())
    assert len(weak['images']) == 16 and weak['weak_type'] == 'labels+counts'
    with open(work / 'basis_results.csv') as f:
        row = list(csv.DictReader(f))[0]
    stats = stats_from_coco(str(tmp_path / 'data/annotations/instances_train.json'))
    assert row['weak_type'] == 'labels+counts'
    assert float(row['budget_days']) == pytest.approx(
        budget_days(6, 10, 'labels_counts', stats=stats), abs=1e-6)
