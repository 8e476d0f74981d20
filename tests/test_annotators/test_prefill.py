"""The annotation network's masks as pre-annotations (mmsegsup.annotators.prefill)."""
import copy
import json

import numpy as np
import pytest
import torch

from mmsegsup.annotators.prefill import (_annotation_free, match_image, predict_instances,
                                         price_prefill)
from mmsegsup.apis.inference import inference_image, init_model
from mmsegsup.formats.coco_json import masks_to_rles
from mmsegsup.formats.errors import FormatError, MissingFileError
from mmsegsup.formats.weak_labels import save_weak_labels, weak_labels_from_coco
from annotation_utils import label_studio_export, shapes_images

IOU_WRSIS = 'configs/active_learning/iou-wrsis_r18-c16_shapes-64x64_cpu.py'
RSIS = 'configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py'


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    """Six synthetic training images, their COCO file, weak labels and image folder."""
    root = tmp_path_factory.mktemp('prefill')
    cfg, dataset, coco = shapes_images(root, IOU_WRSIS, 6)
    weak = str(root / 'weak.json')
    save_weak_labels(weak_labels_from_coco(dataset.ann_file, 'labels+counts'), weak)
    return dict(cfg=cfg, coco=coco, ask=dict(coco, annotations=[]), weak=weak,
                root=dataset.data_prefix['img'], classes=dataset.metainfo['classes'])


def _model(shapes, config):
    """A seeded untrained model of ``config`` that knows the dataset's classes."""
    cfg = copy.deepcopy(shapes['cfg'])
    if config != IOU_WRSIS:
        from mmengine.config import Config
        cfg = Config.fromfile(config)
        cfg.model.test_cfg.stop_thr = 0.0  # untrained: keep every step's mask
    torch.manual_seed(0)
    model = init_model(cfg)
    model.dataset_meta = dict(classes=shapes['classes'])
    return model


@pytest.mark.parametrize('config, score_key', [(IOU_WRSIS, 'ious'), (RSIS, 'scores')])
def test_scores_are_the_predicted_iou_else_the_class_probability(shapes, config, score_key):
    model = _model(shapes, config)
    results = predict_instances(model, shapes['ask'], shapes['root'], shapes['weak'])
    assert results and {r['image_id'] for r in results} <= {1, 2, 3, 4, 5, 6}
    cat_ids = {i: c['id'] for i, c in enumerate(shapes['coco']['categories'])}
    for img in shapes['ask']['images']:
        with _annotation_free(model, shapes['weak']):
            pred = inference_image(model, f'{shapes["root"]}/{img["file_name"]}').pred_instances
        mine = [r for r in results if r['image_id'] == img['id']]
        pred = pred[pred.masks.flatten(1).any(1)]  # empty masks are not pre-annotations
        assert len(mine) == len(pred)
        assert [r['score'] for r in mine] == pytest.approx(pred.get(score_key).tolist())
        assert [r['category_id'] for r in mine] == [cat_ids[int(k)] for k in pred.labels]
        masks = pred.masks.numpy().astype(np.uint8)
        assert [r['segmentation'] for r in mine] == masks_to_rles(masks)
        assert [r['area'] for r in mine] == [float(m.sum()) for m in masks]
    assert 'ious' in pred if score_key == 'ious' else 'ious' not in pred


def test_missing_image_and_unknown_classes_are_named(shapes, tmp_path):
    model = _model(shapes, IOU_WRSIS)
    ask = copy.deepcopy(shapes['ask'])
    ask['images'][1]['file_name'] = 'gone.png'
    with pytest.raises(MissingFileError, match=r"image 2 \(gone.png\).*not found"):
        predict_instances(model, ask, shapes['root'], shapes['weak'])
    model.dataset_meta = dict(classes=('circle', 'star'))
    with pytest.raises(FormatError, match=r"classes \['star'\] that are not categories"):
        predict_instances(model, shapes['ask'], shapes['root'], shapes['weak'])


def _box(y0, y1, x0, x1, size=10):
    m = np.zeros((size, size), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def _anns(masks, cats):
    return [dict(image_id=1, category_id=c, segmentation=r, score=0.5)
            for r, c in zip(masks_to_rles(np.stack(masks)), cats)]


def test_matching_pairs_same_class_masks_at_the_threshold():
    img = dict(id=1, height=10, width=10)
    truth = _anns([_box(0, 4, 0, 4), _box(5, 10, 5, 10), _box(0, 2, 6, 10)], [1, 1, 2])
    preds = _anns([_box(0, 4, 0, 3),     # IoU 0.75 with the first: corrected
                   _box(5, 10, 5, 7),    # IoU 0.4 with the second: below 0.5
                   _box(0, 2, 6, 10)],   # exact, but of the wrong class
                  [1, 1, 1])
    m = match_image(preds, truth, img, 0.5)
    assert (m.present_classes, m.objects, m.matched, m.false_positives) == (2, 3, 1, 2)
    assert match_image(preds, truth, img, 0.35).matched == 2
    assert match_image([], truth, img, 0.5).matched == 0
    assert match_image(preds, [], img, 0.5).false_positives == 3


def test_price_prefill_of_perfect_and_of_no_predictions(shapes):
    coco = shapes['coco']
    scratch, none = price_prefill([], coco)
    assert none == scratch  # nothing pre-filled: everything drawn
    perfect = [dict(a, score=1.0) for a in coco['annotations']]
    scratch2, corrected = price_prefill(perfect, coco)
    assert scratch2 == scratch
    assert scratch - corrected == pytest.approx(len(coco['annotations']) * 79 * 2 / 3)


def test_export_and_import_through_the_cli(shapes, tmp_path):
    """tools/annotate.py: pre-fill for both tools, then import the annotators' Label Studio
    export (the true masks), priced against the pre-fill."""
    from tools_utils import run
    model = _model(shapes, IOU_WRSIS)
    config, ckpt = str(tmp_path / 'iou_wrsis.py'), str(tmp_path / 'untrained.pth')
    shapes['cfg'].dump(config)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=shapes['classes']))), ckpt)
    images = tmp_path / 'to_annotate.json'
    images.write_text(json.dumps(shapes['ask']))
    out = tmp_path / 'annotate'
    proc = run(['tools/annotate.py', 'export', config, ckpt, '--images', str(images),
                '--image-root', shapes['root'], '--out-dir', str(out), '--weak-file',
                shapes['weak']])
    assert sorted(p.name for p in out.iterdir()) == [
        'cvat_coco.json', 'label_studio_config.xml', 'label_studio_tasks.json', 'prefill.json',
        'to_annotate.json']
    prefill = json.loads((out / 'prefill.json').read_text())
    assert prefill == predict_instances(model, shapes['ask'], shapes['root'], shapes['weak'])
    assert f'{len(prefill)} masks on 6 images' in proc.stdout
    tasks = label_studio_export(shapes['ask'], shapes['coco'])  # they drew the true masks
    (tmp_path / 'export.json').write_text(json.dumps(tasks))
    proc = run(['tools/annotate.py', 'import', str(tmp_path / 'export.json'), '--images',
                str(out / 'to_annotate.json'), '--out', str(tmp_path / 'labels.json'), '--prefill',
                str(out / 'prefill.json')])
    labels = json.loads((tmp_path / 'labels.json').read_text())
    assert [a['segmentation'] for a in labels['annotations']] == [
        a['segmentation'] for a in shapes['coco']['annotations']]
    scratch, prefilled = price_prefill(prefill, labels)
    assert f'from scratch {scratch:.1f} s' in proc.stdout
    assert f'pre-filled {prefilled:.1f} s' in proc.stdout


def test_cli_exports_given_masks_of_chosen_images(shapes, tmp_path):
    """BASIS's way: the pseudo-labels of a few pool images, no model, for Label Studio."""
    from tools_utils import run
    pseudo = dict(shapes['coco'], annotations=[dict(a, score=0.5)
                                               for a in shapes['coco']['annotations']])
    path = tmp_path / 'pseudo_instances.json'
    path.write_text(json.dumps(pseudo))
    out = tmp_path / 'correct'
    run(['tools/annotate.py', 'export', '--predictions', str(path), '--images', str(path),
         '--image-ids', '2', '5', '--image-root', shapes['root'], '--out-dir', str(out),
         '--tool', 'label_studio'])
    asked = json.loads((out / 'to_annotate.json').read_text())
    assert [im['id'] for im in asked['images']] == [2, 5] and not asked['annotations']
    prefill = json.loads((out / 'prefill.json').read_text())
    assert prefill == [a for a in pseudo['annotations'] if a['image_id'] in (2, 5)]
    tasks = json.loads((out / 'label_studio_tasks.json').read_text())
    assert [t['data']['coco_image_id'] for t in tasks] == [2, 5]
    bad = run(['tools/annotate.py', 'export', '--predictions', str(path), '--images', str(path),
               '--image-ids', '2', '99', '--image-root', shapes['root'], '--out-dir',
               str(tmp_path / 'x')], check=False)
    assert bad.returncode != 0 and 'no image with id(s) [99]' in bad.stdout + bad.stderr
    both = run(['tools/annotate.py', 'export', RSIS, '--predictions', str(path), '--images',
                str(path), '--image-root', shapes['root'], '--out-dir', str(tmp_path / 'x')],
               check=False)  # a model and masks, or a config without checkpoint: which?
    assert both.returncode == 2 and 'give CONFIG CHECKPOINT or --predictions FILE' in both.stderr
    assert not (tmp_path / 'x').exists()


def test_empty_and_weak_masks_are_not_prefilled():
    from mmengine.structures import InstanceData

    from mmsegsup.annotators.prefill import _results
    masks = torch.zeros(3, 4, 5, dtype=torch.bool)
    masks[0, :2] = masks[2, 3:] = True  # mask 1 is empty
    pred = InstanceData(masks=masks, labels=torch.tensor([0, 1, 1]),
                        scores=torch.tensor([0.9, 0.8, 0.2]), ious=torch.tensor([0.6, 0.7, 0.1]))
    img = dict(id=4, file_name='a.png', height=4, width=5)
    assert [(r['category_id'], r['score']) for r in _results(img, pred, [5, 6], 0.0)] == \
        [(5, pytest.approx(0.6)), (6, pytest.approx(0.1))]
    assert len(_results(img, pred, [5, 6], 0.5)) == 1
    with pytest.raises(FormatError, match=r"image 4 \(a.png\) is 4x6 in the COCO file"):
        _results(dict(img, width=6), pred, [5, 6], 0.0)
