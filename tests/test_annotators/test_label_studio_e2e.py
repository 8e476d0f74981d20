"""Label Studio in the active-learning loop, for real: a Label Studio server (its own venv,
SQLite, a free port), its REST API as the annotators' tools use it, a headless Chromium on the
labeling page, our ML backend connected to the project, and the loop reading the export.

Needs ``bash tools/setup_annotators.sh`` (Label Studio in .venv-ls, Debian's chromium,
playwright); without it the test is skipped, unless MMSEGSUP_REQUIRE_ANNOTATORS=1 (CI), where
it fails.
"""
import csv
import json
import os
import os.path as osp
import shutil
import sys
import tempfile
import urllib.parse

import numpy as np
import pytest

from al_utils import human_round
from label_studio_server import (LS_BIN, SETUP_HINT, LabelStudio, label_studio_server,
                                 process_group)
from mmsegsup.formats.label_studio import coco_to_tasks, decode_brush_rle
from mmsegsup.formats.tool_labels import segmentation_rle
from tools_utils import free_port, run

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync']
SCREENSHOT_COPY = os.environ.get('MMSEGSUP_LS_SCREENSHOT')  # where to keep a copy, if set


def _require_tools() -> None:
    try:
        import playwright  # noqa: F401
        ready = osp.isfile(LS_BIN) and osp.isfile(CHROMIUM)
    except ImportError:
        ready = False
    if not ready:
        message = f'Label Studio / Chromium / Playwright missing: {SETUP_HINT}'
        if os.environ.get('MMSEGSUP_REQUIRE_ANNOTATORS') == '1':
            pytest.fail(message)
        pytest.skip(message)


def _load(path) -> object:
    with open(path) as f:
        return json.load(f)


def _regions(coco: dict, image: dict, anns: list) -> list:
    """Brush regions of ``anns`` (COCO annotations of ``image``), as an annotator draws them."""
    h, w = image['height'], image['width']
    masks = [dict(image_id=image['id'], category_id=a['category_id'], score=1.0,
                  segmentation=segmentation_rle(a['segmentation'], h, w)) for a in anns]
    one = dict(coco, images=[image], annotations=[])
    result = coco_to_tasks(one, lambda img: '', masks)[0]['predictions'][0]['result']
    for k, region in enumerate(result):
        region['id'] = f'gt{k}'
        region.pop('score')
    return result


def _mask(region: dict) -> np.ndarray:
    return decode_brush_rle(region['value']['rle'], region['original_height'],
                            region['original_width'])


def _corrected(predicted: list, truth: list) -> list:
    """What an annotator makes of a pre-annotation: keeps each predicted region that fits an
    object (same class, IoU >= 0.5), redraws the objects none fits, deletes the rest."""
    out = []
    for obj in truth:
        fits = [p for p in predicted if p['value']['brushlabels'] == obj['value']['brushlabels']
                and (_mask(p) & _mask(obj)).sum() >= 0.5 * (_mask(p) | _mask(obj)).sum()]
        out.append(fits[0] if fits else obj)
    return out


def _browser_regions(ls: LabelStudio, project: int, task: int, shot: str) -> list:
    """Log in with a headless Chromium, open the task's labeling page, screenshot it and
    return the labels its regions panel lists."""
    from playwright.sync_api import sync_playwright
    profile = tempfile.mkdtemp(prefix='chromium-')
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={'width': 1400, 'height': 900})
            try:
                page = browser.new_page()
                page.goto(ls.url + '/user/login/')
                page.fill('input[name=email]', ls.username)
                page.fill('input[name=password]', ls.password)
                page.click('button[type=submit]')
                page.wait_for_url(lambda url: '/user/login' not in url)
                page.goto(f'{ls.url}/projects/{project}/data?task={task}')
                page.wait_for_selector('.lsf-outliner-item__title', timeout=60000)
                page.wait_for_load_state('networkidle')
                page.wait_for_function("() => !document.body.innerText.includes("
                                       "'Downloading image')", timeout=30000)
                page.wait_for_timeout(1000)  # the masks are drawn on the canvas after
                page.screenshot(path=shot)
                assert 'There was an issue loading URL' not in page.content()
                return page.locator('.lsf-outliner-item__title').all_inner_texts()
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _backend_predictions(ls: LabelStudio, project: int, task: int, work: str,
                         model: dict, weak: str) -> list:
    """Our ML backend (tools/label_studio_backend.py) on the round-0 model (``config``,
    ``checkpoint``), connected to the project: the predictions Label Studio asked it for on
    ``task``."""
    port = free_port()
    cmd = [sys.executable, 'tools/label_studio_backend.py', model['config'], model['checkpoint'],
           '--port', str(port), '--weak-file', weak, '--model-version', 'ml-backend']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    with process_group(cmd, f'http://127.0.0.1:{port}/health', osp.join(work, 'ml.log'), env):
        ls.api('POST', '/api/ml', dict(url=f'http://127.0.0.1:{port}', project=project,
                                        title='mmsegsup', is_interactive=False))
        ls.api('POST', f'/api/dm/actions?id=retrieve_tasks_predictions&project={project}',
               dict(selectedItems=dict(all=False, included=[task])))
        return [p for p in ls.api('GET', f'/api/predictions?task={task}')
                if p['model_version'] == 'ml-backend']


def _label_masks(coco: dict, image_id: int) -> list:
    """``(class, mask bytes)`` of an image's annotations, sorted: compared as multisets."""
    import pycocotools.mask as mask_util
    names = {c['id']: c['name'] for c in coco['categories']}
    img = next(im for im in coco['images'] if im['id'] == image_id)
    return sorted((names[a['category_id']], mask_util.decode(segmentation_rle(
        a['segmentation'], img['height'], img['width'])).astype(bool).tobytes())
        for a in coco['annotations'] if a['image_id'] == image_id)


@pytest.mark.slow(minutes=2)
def test_a_round_annotated_in_label_studio_continues_the_loop(tmp_path):
    _require_tools()
    cfg, work, folder, _ = human_round(tmp_path)
    tasks = _load(folder / 'label_studio_tasks.json')
    source = _load(tmp_path / 'shapes' / 'annotations' / 'instances_train.json')
    images = {im['id']: im for im in source['images']}
    first_url = urllib.parse.urlparse(tasks[0]['data']['image'])
    image_dir = osp.dirname('/' + urllib.parse.parse_qs(first_url.query)['d'][0])
    submitted = {}
    with label_studio_server(str(tmp_path), document_root='/') as ls:
        pid = ls.api('POST', '/api/projects', dict(
            title='mmsegsup round 1', label_config=(folder / 'label_studio_config.xml')
            .read_text()))['id']
        # local files are served only under a storage of the project
        ls.api('POST', '/api/storages/localfiles', dict(project=pid, path=image_dir,
                                                         title='images', use_blob_urls=False))
        imported = ls.api('POST', f'/api/projects/{pid}/import', tasks)
        assert imported['task_count'] == 5 and imported['prediction_count'] == 5
        listed = ls.api('GET', f'/api/tasks?project={pid}')['tasks']
        on_server = {t['data']['coco_image_id']: ls.api('GET', f'/api/tasks/{t["id"]}')
                     for t in listed}
        for task in tasks:  # the pre-annotations as we made them: classes, masks, scores
            mine, = task['predictions']
            theirs, = on_server[task['data']['coco_image_id']]['predictions']
            assert theirs['model_version'] == mine['model_version']
            assert theirs['score'] == pytest.approx(mine.get('score'))
            assert [(r['value'], r['score']) for r in theirs['result']] == \
                [(r['value'], r['score']) for r in mine['result']]
        # the task with the most pre-filled masks, seen by an annotator
        shown = max(tasks, key=lambda t: len(t['predictions'][0]['result']))
        shown_id = shown['data']['coco_image_id']
        predicted = shown['predictions'][0]['result']
        assert predicted, 'the round-0 model pre-filled no mask at all'
        shot = str(tmp_path / 'label_studio_task.png')
        titles = _browser_regions(ls, pid, on_server[shown_id]['id'], shot)
        assert sorted(t.strip() for t in titles) == \
            sorted(r['value']['brushlabels'][0] for r in predicted)
        if SCREENSHOT_COPY:
            shutil.copy(shot, SCREENSHOT_COPY)
        # the ML backend pre-annotates the same task with the same model: the same masks
        seed_dir = work / 'seed0'
        backend = _backend_predictions(ls, pid, on_server[shown_id]['id'], str(tmp_path),
                                       _load(seed_dir / 'stages' / 'round0_train.json'),
                                       str(seed_dir / 'weak-labels+counts.json'))
        assert len(backend) == 1 and [r['value'] for r in backend[0]['result']] == \
            [r['value'] for r in predicted]
        # annotators submit: the ground truth, and on the shown task the corrected pre-fill
        for image_id, task in on_server.items():
            truth = _regions(source, images[image_id],
                             [a for a in source['annotations'] if a['image_id'] == image_id])
            body = dict(result=truth, lead_time=12.5)
            if image_id == shown_id:
                body.update(result=_corrected(predicted, truth),
                            parent_prediction=task['predictions'][0]['id'])
            ls.api('POST', f'/api/tasks/{task["id"]}/annotations', body)
            submitted[image_id] = body['result']
        export = ls.api('GET', f'/api/projects/{pid}/export?exportType=JSON')
    corrected, = [t['annotations'][0] for t in export
                  if t['data']['coco_image_id'] == shown_id]
    assert corrected['parent_prediction'] == on_server[shown_id]['predictions'][0]['id']
    (tmp_path / 'export.json').write_text(json.dumps(export))
    done = run(['tools/active_learning.py', cfg, '--work-dir', str(work), '--labels',
                str(tmp_path / 'export.json')], timeout=600)
    assert 'round0_train: done before, skipped' in done.stdout + done.stderr
    labeled = _load(folder / 'labeled.json')
    assert len(labeled['images']) == 15
    for image_id, result in submitted.items():  # every submitted mask, pixel for pixel
        assert _label_masks(labeled, image_id) == sorted(
            (r['value']['brushlabels'][0], _mask(r).tobytes()) for r in result)
    with open(work / 'al_selections.csv', newline='') as f:
        row, = csv.DictReader(f)
    assert float(row['annotation_s_scratch']) > 0 and float(row['annotation_s_prefilled']) > 0
    with open(work / 'al_results.csv', newline='') as f:  # the next round trained on them
        assert [(r['round'], r['num_labeled']) for r in csv.DictReader(f)] == \
            [('0', '10'), ('1', '15')]
