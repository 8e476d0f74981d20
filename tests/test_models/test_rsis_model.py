"""RSIS built from the CPU config: loss, backward, predict and the stop rule."""
import os.path as osp

import pytest
import torch
from mmsegsup.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

import mmsegsup  # noqa: F401

CFG = 'configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py'


@pytest.fixture
def model(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, CFG))
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _batch(model, num_items, training):
    packed = demo_mm_inputs(batch_size=len(num_items), image_shapes=(3, 64, 64),
                            num_items=num_items, num_classes=3, with_mask=True)
    return model.data_preprocessor(packed, training)


def test_loss_has_all_terms_and_backpropagates(model):
    data = _batch(model, [2, 0, 3], True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_mask', 'loss_cls', 'loss_bbox', 'loss_stop'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for name in ('bbox_head.fc_cls.weight', 'bbox_head.fc_stop.weight',
                 'bbox_head.decoder.cells.0.gates.weight', 'backbone.conv1.weight'):
        assert dict(model.named_parameters())[name].grad.abs().sum() > 0, name


def test_stop_targets_and_matched_prefix(model):
    head = model.bbox_head
    target, weight = head.stop_targets([2, 0], 3, torch.device('cpu'))
    assert target.tolist() == [[1, 1, 0], [0, 0, 0]]
    assert weight.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_predict_returns_instances_until_stop(model):
    model.eval()
    data = _batch(model, [1, 2], False)
    with torch.no_grad():
        # Force the stop branch: "continue" for two steps, then "stop".
        head = model.bbox_head
        head.fc_stop.weight.zero_()
        head.fc_stop.bias.fill_(5.0)
        results = model(**data, mode='predict')
        assert all(len(r.pred_instances) == head.max_steps for r in results)
        head.fc_stop.bias.fill_(-5.0)
        results = model(**data, mode='predict')
        assert all(len(r.pred_instances) == 0 for r in results)
        assert results[0].pred_instances.masks.shape[1:] == results[0].ori_shape
    inst = model(**_batch(model, [1], False), mode='predict')[0].pred_instances
    assert inst.masks.dtype == torch.bool
    assert inst.bboxes.shape == (len(inst), 4)
    assert ((inst.scores >= 0) & (inst.scores <= 1)).all()


def test_max_steps_caps_training_steps(model):
    data = _batch(model, [9], True)  # more objects than max_steps (6)
    losses = model(**data, mode='loss')
    assert torch.isfinite(sum(losses.values()))


def test_python_api_arrays_then_paths(repo_root, tmp_path):
    import cv2
    import numpy as np

    from mmsegsup.apis import inference_image, init_model
    model = init_model(osp.join(repo_root, CFG))
    img = np.full((48, 80, 3), 120, np.uint8)
    cv2.circle(img, (40, 24), 10, (0, 0, 255), -1)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, img)
    from_array = inference_image(model, img)
    from_path = inference_image(model, path)  # must still work after an array
    assert from_array.pred_instances.masks.shape[1:] == (48, 80)
    assert len(inference_image(model, [path, path])) == 2
    assert torch.equal(from_array.pred_instances.masks, from_path.pred_instances.masks)
