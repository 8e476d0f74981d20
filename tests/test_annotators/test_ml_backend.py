"""Label Studio's ML-backend protocol served for a model of ours
(mmsegsup.annotators.ml_backend, its tool tools/label_studio_backend.py), checked over HTTP
against the Python API's predictions."""
import copy
import os
import os.path as osp
import sys
import threading
import urllib.parse

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from mmengine.config import Config

from annotation_utils import shapes_images
from label_studio_server import http_json, http_request, process_group
from mmsegsup.annotators.ml_backend import Predictor, make_server
from mmsegsup.annotators.prefill import predict_instances
from mmsegsup.apis.inference import init_model
from mmsegsup.formats.label_studio import decode_brush_rle, labeling_config
from tools_utils import REPO, free_port

RSIS = osp.join(REPO, 'configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py')


@pytest.fixture(scope='module')
def backend(tmp_path_factory):
    """An untrained seeded RSIS that keeps every step's mask, served on a free port, and
    three synthetic images to predict."""
    root = tmp_path_factory.mktemp('ml_backend')
    _, dataset, coco = shapes_images(root, RSIS, 3)
    model_cfg = Config.fromfile(RSIS)
    model_cfg.model.test_cfg.stop_thr = 0.0
    torch.manual_seed(0)
    model = init_model(model_cfg)
    model.dataset_meta = dict(classes=dataset.metainfo['classes'])
    server = make_server(Predictor(model, 'rsis-untrained', document_root=str(root)), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield dict(url=f'http://127.0.0.1:{server.server_address[1]}', model=model,
                   cfg=model_cfg, root=str(root), images=dataset.data_prefix['img'],
                   ask=dict(coco, annotations=[]), classes=dataset.metainfo['classes'])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _tasks(backend) -> list:
    """The images as Label Studio sends them: a local-files URL (under the document root) and
    a file path, in turn."""
    images = backend['images']
    rel = osp.relpath(images, backend['root'])
    return [dict(id=10 + k, data=dict(image=(
        '/data/local-files/?d=' + urllib.parse.quote(f'{rel}/{img["file_name"]}') if k % 2 == 0
        else f'{images}/{img["file_name"]}'))) for k, img in enumerate(backend['ask']['images'])]


def test_predictions_over_http_are_the_models_masks(backend):
    url, images = backend['url'], backend['images']
    assert http_json('GET', url + '/health')['status'] == 'UP'
    setup = http_json('POST', url + '/setup', dict(
        project='1.1700000000', schema=labeling_config(backend['classes'])))
    assert setup == {'model_version': 'rsis-untrained'}
    ask, tasks = backend['ask'], _tasks(backend)
    answer = http_json('POST', url + '/predict', dict(tasks=tasks, project='1.1700000000',
                                                      label_config='', params={}))
    expected = predict_instances(backend['model'], ask, images)
    assert len(answer['results']) == len(tasks) and expected
    names = {c['id']: c['name'] for c in ask['categories']}
    for img, pred in zip(ask['images'], answer['results']):
        mine = [r for r in expected if r['image_id'] == img['id']]
        assert pred['model_version'] == 'rsis-untrained' and len(pred['result']) == len(mine)
        assert pred['score'] == pytest.approx(np.mean([r['score'] for r in mine]))
        for region, want in zip(pred['result'], mine):
            assert region['type'] == 'brushlabels' and region['to_name'] == 'image'
            assert region['value']['brushlabels'] == [names[want['category_id']]]
            assert region['score'] == pytest.approx(want['score'])
            mask = decode_brush_rle(region['value']['rle'], img['height'], img['width'])
            assert np.array_equal(mask, mask_util.decode(copy.deepcopy(want['segmentation'])))


def test_bad_requests_get_clear_errors_and_the_server_keeps_serving(backend):
    url, classes = backend['url'], backend['classes']

    def setup(schema: str) -> tuple:
        return http_request('POST', url + '/setup', dict(schema=schema))

    def predict(task_id: int, data: dict) -> tuple:
        return http_request('POST', url + '/predict', dict(tasks=[dict(id=task_id, data=data)]))

    status, err = setup(labeling_config(classes[:-1]))
    assert status == 400 and repr([classes[-1]]) in err['error']
    status, err = setup('<View><Image name="image" value="$image"/></View>')
    assert status == 400 and 'no <BrushLabels name="brush"' in err['error']
    status, err = predict(7, dict(image='http://example.org/a.png'))
    assert status == 400 and \
        "task 7: image 'http://example.org/a.png' is not a local file" in err['error']
    status, err = predict(8, dict(image='/data/local-files/?d=nowhere/b.png'))
    assert status == 400 and \
        err['error'] == f'task 8: image file {backend["root"]}/nowhere/b.png not found'
    status, err = predict(9, dict(text='x'))
    assert status == 400 and 'task 9: expected data.image' in err['error']
    assert http_request('POST', url + '/predict', b'not json')[0] == 400
    assert http_request('POST', url + '/train', {})[0] == 404
    assert http_json('GET', url + '/health')['status'] == 'UP'


@pytest.mark.slow
def test_the_tool_serves_a_saved_model_as_the_api_does(backend, tmp_path):
    """tools/label_studio_backend.py as a user starts it, on the fixture's model saved as a
    config and checkpoint, the document root from Label Studio's variable: the same
    predictions, versioned by the checkpoint's name."""
    config, ckpt = str(tmp_path / 'rsis.py'), str(tmp_path / 'rsis.pth')
    backend['cfg'].dump(config)
    torch.save(dict(state_dict=backend['model'].state_dict(),
                    meta=dict(dataset_meta=backend['model'].dataset_meta)), ckpt)
    port = free_port()
    url = f'http://127.0.0.1:{port}'
    env = dict(os.environ, OMP_NUM_THREADS='1',
               LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=backend['root'])
    cmd = [sys.executable, 'tools/label_studio_backend.py', config, ckpt, '--port', str(port)]
    request = dict(tasks=_tasks(backend))
    with process_group(cmd, url + '/health', str(tmp_path / 'ml_backend.log'), env):
        setup = http_json('POST', url + '/setup', dict(schema=labeling_config(backend['classes'])))
        answer = http_json('POST', url + '/predict', request)['results']
    assert setup == {'model_version': 'rsis.pth'}
    expected = http_json('POST', backend['url'] + '/predict', request)['results']
    assert any(p['result'] for p in expected)
    assert [p['model_version'] for p in answer] == ['rsis.pth'] * len(expected)
    assert [[r['value'] for r in p['result']] for p in answer] == \
        [[r['value'] for r in p['result']] for p in expected]
    assert [p['score'] for p in answer] == pytest.approx([p['score'] for p in expected])
