"""The thesis's BASIS claim at toy scale, measured through tools/basis_pipeline.py: with few
strong labels and many unlabeled images, the student g trained on strong + pseudo-labels beats
its annotation network f (thesis tables 4.3 / 4.5). Seeded; numbers in benchmarks/README.md."""
import csv
import json
import os.path as osp
from typing import Optional

import pytest

from tools_utils import REPO, run


def _run_pipeline(tmp_path, pipeline: str, basis: dict, opts: dict,
                  until: Optional[str] = None, name: str = 'work') -> dict:
    """Run the pipeline config with its data under ``tmp_path`` and ``opts`` for f and g;
    returns its CSV row, or with ``until`` the run folder's stage outputs."""
    root = str(tmp_path / 'data') + '/'
    opts = dict({f'{split}_dataloader.dataset.data_root': root
                 for split in ('train', 'val', 'test')}, **opts)
    if 'val_evaluator.ann_file' in opts:  # COCO evaluators read the ground truth from a file
        for key in ('val_evaluator.ann_file', 'test_evaluator.ann_file'):
            opts[key] = root + opts[key]
    path = tmp_path / f'{name}.py'
    settings = dict(basis, annotator_options=opts, student_options=opts, tool_process=False)
    path.write_text(f'_base_ = [{osp.join(REPO, pipeline)!r}]\nbasis = {settings!r}\n')
    work = tmp_path / name
    run(['tools/basis_pipeline.py', str(path), '--work-dir', str(work)] +
        (['--until', until] if until else []), timeout=900)
    if until:
        run_dir = next(work.iterdir())
        return {p.stem: json.loads(p.read_text()) for p in (run_dir / 'stages').iterdir()}
    with open(work / 'basis_results.csv') as f:
        return list(csv.DictReader(f))[0]


def _schedule(iters: int, milestone_key: str) -> dict:
    return {'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
            milestone_key: iters}


@pytest.mark.slow
def test_instance_student_beats_rsis_annotator(tmp_path):
    # 700 iterations: f 0.340 -> g 0.451 AP50 (2026-12-02). At 400 the claim did not hold on
    # every machine: 0.292 -> 0.347 on one, 0.384 -> 0.369 on another (benchmarks/README.md).
    iters = 700
    opts = dict(_schedule(iters, 'param_scheduler.1.end'),
                **{'param_scheduler.1.milestones': [int(iters * 0.8)],
                   'val_evaluator.ann_file': 'annotations/instances_val.json',
                   'test_evaluator.ann_file': 'annotations/instances_val.json'})
    row = _run_pipeline(tmp_path, 'configs/basis/basis_rsis_shapes-64x64_cpu.py',
                        dict(num_strong=20, seed=0), opts)
    f, g = float(row['f_score']), float(row['g_score'])
    print(f'BASIS instance, N=20 strong + {row["num_weak"]} pseudo: RSIS f AP50 {f:.3f}, '
          f'student g AP50 {g:.3f}, budget {row["budget_days"]} d')
    assert g > f


@pytest.mark.slow
def test_semantic_student_beats_deeplab_annotator(tmp_path):
    iters = 600
    row = _run_pipeline(tmp_path, 'configs/basis/basis_deeplabv3plus_shapes-semantic-64x64_cpu.py',
                        dict(num_strong=20, seed=0), _schedule(iters, 'param_scheduler.1.end'))
    f, g = float(row['f_score']), float(row['g_score'])
    print(f'BASIS semantic, N=20 strong + {row["num_weak"]} pseudo: DeepLabV3+ f mIoU {f:.2f}, '
          f'student g mIoU {g:.2f}, budget {row["budget_days"]} d')
    assert g > f


@pytest.mark.slow
def test_wrsis_pseudo_labels_beat_rsis_at_same_n(tmp_path):
    """Thesis 4.6.1: with labels + counts for the pool, W-RSIS's pseudo-instances are better
    than RSIS's from the same N strong images (mask AP50 against the pool's real masks)."""
    iters = 400  # RSIS 0.399 vs W-RSIS 0.476 here (700 iterations: 0.437 vs 0.492)
    opts = dict(_schedule(iters, 'param_scheduler.1.end'),
                **{'param_scheduler.1.milestones': [int(iters * 0.8)],
                   'val_evaluator.ann_file': 'annotations/instances_val.json',
                   'test_evaluator.ann_file': 'annotations/instances_val.json'})
    ap50 = {}
    for name, pipeline in (('rsis', 'configs/basis/basis_rsis_shapes-64x64_cpu.py'),
                           ('wrsis', 'configs/basis/basis_wrsis_shapes-64x64_cpu.py')):
        own = dict(opts)
        if name == 'wrsis':  # its test pipeline reads the val annotations' weak labels
            for split in ('val', 'test'):
                own[f'{split}_dataloader.dataset.pipeline.3.ann_file'] = str(
                    tmp_path / 'data' / 'annotations' / 'instances_val.json')
        stages = _run_pipeline(tmp_path, pipeline, dict(num_strong=50, seed=0), own,
                               until='pseudo', name=name)
        ap50[name] = stages['pseudo']['pseudo_ap50']
    print(f'BASIS pseudo-labels at N=50: RSIS AP50 {ap50["rsis"]:.3f}, '
          f'W-RSIS (labels + counts) AP50 {ap50["wrsis"]:.3f}')
    assert ap50['wrsis'] > ap50['rsis']
