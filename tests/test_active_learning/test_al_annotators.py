"""The loop with annotation tools: a round's selection pre-filled with its annotation network's
masks for Label Studio / CVAT, the annotators' export as the round's labels, and the annotation
time priced with and without the pre-fill. The round's network is an untrained checkpoint here
(the loop's stages are called directly), so these run in seconds; the slow test goes through
tools/active_learning.py."""
import csv
import json
import os.path as osp

import pytest
import torch

from al_utils import human_round, tiny_loop
from annotation_utils import label_studio_export
from mmsegsup.active_learning.loop import ActiveLearningRun
from mmsegsup.annotators.prefill import price_prefill
from mmsegsup.apis.inference import init_model
from mmsegsup.formats.coco_json import coco_subset
from mmsegsup.formats.errors import FormatError
from tools_utils import run

STRATEGY = dict(type='RandomSelector')
TOOLS = "active_learning.update(annotation_tool=['label_studio', 'cvat'])"


def _round1(tmp_path, labels: str):
    """A loop's round 0 split, an untrained checkpoint of its annotator, pool scores, and the
    selection of round 1 (``select`` runs the pre-fill)."""
    cfg = tiny_loop(tmp_path, '[dict(type="RandomSelector")]', rounds=1, labels=labels,
                    extra=TOOLS)
    run = ActiveLearningRun(cfg, str(tmp_path / 'work'), log=lambda msg: None)
    seed_dir = run._seed_dir(0)
    split = run.initial_split(0, seed_dir)
    round0 = osp.join(seed_dir, 'round0')
    net = run._annotator(0, split, split['labeled'])
    config = run._dump(net, 'annotator', round0)
    torch.manual_seed(0)
    model = init_model(config)
    checkpoint = osp.join(round0, 'untrained.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('circle', 'square', 'triangle')))),
               checkpoint)
    with open(split['unlabeled']) as f:
        pool = json.load(f)
    scores = osp.join(round0, 'pool_scores.json')
    with open(scores, 'w') as f:
        json.dump(dict(records=[dict(img_id=im['id'], score=0.5) for im in pool['images']]), f)
    folder = osp.join(seed_dir, 'random', 'n5_round1')
    selection = run.select(STRATEGY, dict(scores=scores), split, folder, 0,
                           dict(config=config, checkpoint=checkpoint))
    return run, split, folder, selection


def _read(path):
    with open(path) as f:
        return json.load(f)


def test_simulated_rounds_price_the_prefill_against_the_ground_truth(tmp_path):
    run, split, folder, selection = _round1(tmp_path, 'ground_truth')
    truth = coco_subset(_read(split['source']), selection['selected'])
    prefill = _read(osp.join(folder, 'prefill.json'))
    assert {p['image_id'] for p in prefill} <= set(selection['selected'])
    scratch, prefilled = price_prefill(prefill, truth)
    assert selection['annotation_s_scratch'] == scratch > 0
    assert selection['annotation_s_prefilled'] == prefilled
    assert not osp.exists(osp.join(folder, 'label_studio_tasks.json'))  # nobody to ask


def _export(folder, selected_truth, rename=None):
    """A Label Studio export of the round's tasks with the true masks (one class renamed to
    ``rename``)."""
    tasks = label_studio_export(_read(osp.join(folder, 'to_annotate.json')), selected_truth,
                                rename)
    path = osp.join(folder, f'export_{rename or "good"}.json')
    with open(path, 'w') as f:
        json.dump(tasks, f)
    return path


def test_human_round_exports_prefill_and_a_failed_import_loses_nothing(tmp_path):
    run, split, folder, selection = _round1(tmp_path, 'human')
    for name in ('to_annotate.json', 'prefill.json', 'label_studio_tasks.json',
                 'label_studio_config.xml', 'cvat_coco.json'):
        assert osp.isfile(osp.join(folder, name)), name
    tasks = _read(osp.join(folder, 'label_studio_tasks.json'))
    assert len(tasks) == 5 and all(t['predictions'][0]['model_version'] for t in tasks)
    assert 'annotation_s_scratch' not in selection  # known once the labels are in
    truth = coco_subset(_read(split['source']), selection['selected'])

    bad = _export(folder, truth, 'hexagon')
    with pytest.raises(FormatError, match=r"task \d+ \(image \d+ .*'hexagon' is not in the"):
        run.next_split(split, selection, folder, bad)
    assert not osp.exists(osp.join(folder, 'labeled.json'))  # nothing half-written

    done = run.next_split(split, selection, folder, _export(folder, truth))
    labeled = _read(done['labeled'])
    assert done['num_labeled'] == len(labeled['images']) == 15
    got = sorted((a['image_id'], a['segmentation']['counts']) for a in labeled['annotations']
                 if a['image_id'] in selection['selected'])
    assert got == sorted((a['image_id'], a['segmentation']['counts'])
                         for a in truth['annotations'])
    scratch, prefilled = price_prefill(_read(osp.join(folder, 'prefill.json')), truth)
    assert (done['annotation_s_scratch'], done['annotation_s_prefilled']) == (scratch,
                                                                              prefilled)
    # CVAT's export of the task made from cvat_coco.json is read the same way
    assert run.next_split(split, selection, folder, osp.join(folder, 'cvat_coco.json'))[
        'num_labeled'] == 15


def test_annotation_tool_setting_is_checked(tmp_path):
    cfg = tiny_loop(tmp_path, '[dict(type="RandomSelector")]', labels='human',
                    extra="active_learning.update(annotation_tool='labelbox')")
    with pytest.raises(ValueError, match=r"annotation tool\(s\) \['labelbox'\]"):
        ActiveLearningRun(cfg, str(tmp_path / 'work'))


@pytest.mark.slow(minutes=2)  # two tiny trainings, three loop runs (126-212 s)
def test_human_loop_from_the_cli_with_a_label_studio_export(tmp_path):
    """tools/active_learning.py: waits with the pre-filled exports, refuses a bad export
    (nothing written), continues with the good one and reports the annotation time."""
    cfg, work, folder, out = human_round(tmp_path, extra=TOOLS)
    assert 'Label Studio JSON export' in out.stdout
    folder = str(folder)
    ask = _read(osp.join(folder, 'to_annotate.json'))
    source = str(tmp_path / 'shapes' / 'annotations' / 'instances_train.json')
    truth = coco_subset(_read(source), [im['id'] for im in ask['images']])
    bad = run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--labels',
               _export(folder, truth, 'hexagon')], timeout=600, subprocess=True, check=False)
    assert bad.returncode != 0 and "'hexagon' is not in the dataset" in bad.stderr
    assert not osp.exists(osp.join(folder, 'labeled.json'))  # the rerun loses nothing
    done = run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--labels',
                _export(folder, truth)], timeout=600)
    assert 'round0_train: done before, skipped' in done.stdout + done.stderr
    assert len(_read(osp.join(folder, 'labeled.json'))['images']) == 15
    with open(work / 'al_selections.csv', newline='') as f:
        row, = list(csv.DictReader(f))
    scratch, prefilled = price_prefill(_read(osp.join(folder, 'prefill.json')), truth)
    assert float(row['annotation_s_scratch']) == pytest.approx(scratch)
    assert float(row['annotation_s_prefilled']) == pytest.approx(prefilled)
    assert 'pre-filled' in (work / 'al_table.md').read_text()
