"""BASIS with people correcting the pseudo-labels of chosen pool images: their export (here a
Label Studio JSON export) replaces those pseudo-labels before the student trains, and the
correction time joins the budget."""
import csv
import json
import os
import os.path as osp

import pytest

from mmsegsup.annotators.prefill import price_prefill
from mmsegsup.basis import BasisRun
from mmsegsup.budget import SECONDS_PER_DAY, budget_days, stats_from_coco
from mmsegsup.formats.coco_json import coco_subset
from mmsegsup.formats.errors import FormatError
from annotation_utils import label_studio_export
from tools_utils import REPO, run, tiny_shapes_options

PIPELINE = osp.join(REPO, 'configs/basis/basis_rsis_shapes-64x64_cpu.py')
CHOSEN = (2, 9)  # pool images (not among the 6 strong ones of seed 0)


def _pipeline(tmp_path, **basis) -> str:
    opts = tiny_shapes_options(tmp_path / 'data')
    settings = dict(num_strong=6, score_thr=0.0, student_options=opts,
                    annotator_options=dict(opts, **{'model.test_cfg.stop_thr': 0.0}),
                    **basis)
    path = tmp_path / 'pipeline.py'
    path.write_text(f'_base_ = [{PIPELINE!r}]\nbasis = {settings!r}\n')
    return str(path)


def _read(path):
    with open(path) as f:
        return json.load(f)


def _write(path, data) -> str:
    with open(path, 'w') as f:
        json.dump(data, f)
    return str(path)


def _corrections(tmp_path, source: str, ids, rename=None) -> dict:
    """The chosen images' COCO file and a Label Studio export whose annotators submitted the
    true masks (one class renamed to ``rename``)."""
    truth = coco_subset(_read(source), ids)
    images = _write(tmp_path / 'to_annotate.json', dict(truth, annotations=[]))
    tasks = label_studio_export(_read(images), truth, rename)
    return dict(images=images, labels=_write(tmp_path / 'export.json', tasks))


def _pseudo(run_, split) -> dict:
    """Stand-in pseudo-labels of the pool: the true masks of every other object."""
    source = _read(split['source'])
    pool = coco_subset(source, [im['id'] for im in _read(split['pool'])['images']])
    pool['annotations'] = [dict(a, score=0.5) for a in pool['annotations'][::2]]
    out = osp.join(run_.run_dir, 'pseudo')
    os.makedirs(out, exist_ok=True)
    return dict(out_dir=out, ann_file=_write(osp.join(out, 'pseudo_instances.json'), pool))


def test_corrections_replace_the_pseudo_labels_of_their_images(tmp_path):
    # the chosen images' COCO file only exists once the data do: build the split first
    first = BasisRun(_pipeline(tmp_path), str(tmp_path / 'w'), log=lambda m: None)
    split = first.split()
    spec = _corrections(tmp_path, split['source'], CHOSEN)
    basis = BasisRun(_pipeline(tmp_path, corrections=spec), str(tmp_path / 'w'),
                     log=lambda m: None)
    pseudo = _pseudo(basis, split)
    out = basis.correct(pseudo)
    corrected = _read(out['ann_file'])
    before = _read(pseudo['ann_file'])
    truth = coco_subset(_read(split['source']), CHOSEN)

    def masks(coco, ids):
        return sorted((a['image_id'], a['segmentation']['counts']) for a in coco['annotations']
                      if (a['image_id'] in ids) == bool(ids))
    assert masks(corrected, CHOSEN) == masks(truth, CHOSEN)
    others = [a for a in before['annotations'] if a['image_id'] not in CHOSEN]
    assert sorted((a['image_id'], a['segmentation']['counts']) for a in corrected['annotations']
                  if a['image_id'] not in CHOSEN) == sorted(
                      (a['image_id'], a['segmentation']['counts']) for a in others)
    shown = [a for a in before['annotations'] if a['image_id'] in CHOSEN]
    scratch, prefilled = price_prefill(shown, truth)
    assert (out['correction_s'], out['correction_s_scratch']) == (prefilled, scratch)
    assert out['num_corrected'] == 2 and prefilled < scratch  # half the masks were right


def test_bad_corrections_fail_before_anything_is_written(tmp_path):
    first = BasisRun(_pipeline(tmp_path), str(tmp_path / 'w'), log=lambda m: None)
    split = first.split()
    bad = _corrections(tmp_path, split['source'], CHOSEN, rename='hexagon')
    basis = BasisRun(_pipeline(tmp_path, corrections=bad), str(tmp_path / 'w'),
                     log=lambda m: None)
    pseudo = _pseudo(basis, split)
    with pytest.raises(FormatError, match=r"task 2 .*image 9.*'hexagon' is not in the dataset"):
        basis.correct(pseudo)
    assert not osp.exists(osp.join(pseudo['out_dir'], 'corrected_instances.json'))
    strong = _corrections(tmp_path, split['source'], [_read(split['strong'])['images'][0]['id']])
    basis = BasisRun(_pipeline(tmp_path, corrections=strong), str(tmp_path / 'w'),
                     log=lambda m: None)
    with pytest.raises(FormatError, match=r'are not pool images'):
        basis.correct(pseudo)


@pytest.mark.slow(minutes=1)  # --until pseudo, then g (23-60 s)
def test_corrected_pipeline_from_the_cli(tmp_path):
    """--until pseudo, pre-fill the chosen images' pseudo-labels for Label Studio with
    tools/annotate.py, then the full pipeline with the annotators' export."""
    cfg = _pipeline(tmp_path, tool_process=False)
    work = tmp_path / 'work'
    run(['tools/basis_pipeline.py', cfg, '--work-dir', str(work), '--until', 'pseudo'],
        timeout=900)
    pseudo = str(work / 'N6_seed0' / 'pseudo' / 'pseudo_instances.json')
    out = tmp_path / 'correct'
    run(['tools/annotate.py', 'export', '--predictions', pseudo, '--images', pseudo,
         '--image-ids', *map(str, CHOSEN), '--image-root', str(tmp_path / 'data' / 'images' /
                                                              'train'),
         '--out-dir', str(out), '--tool', 'label_studio'])
    source = str(tmp_path / 'data' / 'annotations' / 'instances_train.json')
    spec = _corrections(tmp_path, source, CHOSEN)
    spec['images'] = str(out / 'to_annotate.json')
    cfg = _pipeline(tmp_path, tool_process=False, corrections=spec)
    log = run(['tools/basis_pipeline.py', cfg, '--work-dir', str(work)], timeout=900)
    assert '2 pool images corrected' in log.stdout + log.stderr
    assert 'corrected_instances.json' in open(work / 'N6_seed0' / 'configs' / 'g.py').read()
    with open(work / 'basis_results.csv') as f:
        row, = list(csv.DictReader(f))
    shown = [a for a in _read(pseudo)['annotations'] if a['image_id'] in CHOSEN]
    _, prefilled = price_prefill(shown, coco_subset(_read(source), CHOSEN))
    expect = budget_days(6, stats=stats_from_coco(source)) + prefilled / SECONDS_PER_DAY
    assert float(row['budget_days']) == pytest.approx(expect, abs=1e-6)


def test_corrections_settings_and_a_student_trained_without_them(tmp_path):
    from mmsegsup.basis import load_settings
    from mmsegsup.utils.io import dump_json_atomic
    with pytest.raises(ValueError, match=r'basis.corrections must be dict\(images='):
        load_settings(_pipeline(tmp_path, corrections='export.json'))
    first = BasisRun(_pipeline(tmp_path), str(tmp_path / 'w'), log=lambda m: None)
    split = first.stage('split', first.split)
    for name, out in (('train_f', dict(config='f.py', checkpoint='f.pth')),
                      ('pseudo', _pseudo(first, split)),
                      ('train_g', dict(config='g.py', checkpoint='g.pth'))):
        dump_json_atomic(out, first._marker(name))
    spec = _corrections(tmp_path, split['source'], CHOSEN)
    later = BasisRun(_pipeline(tmp_path, corrections=spec), str(tmp_path / 'w'),
                     log=lambda m: None)
    with pytest.raises(RuntimeError, match='g was trained without basis.corrections'):
        later.run()
