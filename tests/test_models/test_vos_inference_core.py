"""VOSInferenceCore: the video protocol apart from the network, one core for predict / demo."""
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmsegsup.apis import inference_video
from mmsegsup.models.heads.rvos_head import FrameOutput
from mmsegsup.models.vos import VOSInferenceCore, id_map
from mmsegsup.registry import DATASETS, MODELS
from tools_utils import REPO

CFG = 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py'


class RecordingHead:
    """A stand-in network: fixed logits per slot, and a record of what the core fed it."""

    def __init__(self, protocol: str, logits: torch.Tensor, one_shot: bool = True,
                 num_slots: int = 3) -> None:
        self.protocol, self.one_shot, self.num_slots = protocol, one_shot, num_slots
        self.test_cfg = dict(mask_thr=0.5, stop_thr=0.5, slot_assignment=None)
        self.logits = logits  # (num_slots, H, W)
        self.seen = []  # (prev masks, num objects, had temporal state) per frame

    def frame(self, feats, temporal, prev, num):
        self.seen.append((None if prev is None else prev.clone(), num, temporal is not None))
        return FrameOutput(self.logits[None, :num], None, None,
                           [f'state{len(self.seen)}'] * num)

    def upsample(self, logits, size):
        return logits


class RecordingModel:
    """A stand-in model: the encoder passes the image through; the head records."""

    def __init__(self, *args, **kwargs) -> None:
        self.head = RecordingHead(*args, **kwargs)
        self.encoded = []  # the image sizes encoded

    def extract_feat(self, image):
        self.encoded.append(tuple(image.shape[-2:]))
        return (image, )


def _image(h=8, w=8):
    return torch.zeros(1, 3, h, w)


def _masks(h=8, w=8):
    a = torch.zeros(h, w)
    a[:4, :4] = 1
    b = torch.zeros(h, w)
    b[4:, 4:] = 1
    return a, b


def test_mmsegsup_protocol_feeds_binarised_masks_of_tracked_objects_only():
    a, b = _masks()
    logits = torch.stack([torch.full((8, 8), 0.3), torch.full((8, 8), -0.3),
                          torch.full((8, 8), 2.0)])
    model = RecordingModel('mmsegsup', logits)
    head = model.head
    core = VOSInferenceCore(model)
    out0 = core.step(_image(), {4: a})
    assert out0.ids == [4] and torch.equal(out0.probs[0], a)  # the given mask is returned
    out1 = core.step(_image())
    out2 = core.step(_image(), {2: b, 4: b})  # 4 is tracked: ignored
    assert out1.ids == [4] and out2.ids == [4, 2]  # slots in order of entry
    (prev0, n0, t0), (prev1, n1, t1), (prev2, n2, t2) = head.seen
    assert (n0, n1, n2) == (1, 1, 2) and (t0, t1, t2) == (False, True, True)
    assert model.encoded == [(8, 8)] * 3  # the core encodes each frame once
    assert torch.equal(prev0[0, 0], a)
    assert torch.equal(prev1[0, 0], a)  # the entering frame passes its given mask on
    assert torch.equal(prev2[0, 0], torch.ones(8, 8))  # then sigmoid(0.3) > 0.5, binarised
    assert torch.equal(prev2[0, 1], b)  # the late object's given mask joins the input
    assert torch.equal(out2.probs[1], b)


def test_original_protocol_slots_by_id_soft_masks_from_frame_one():
    a, b = _masks()
    logits = torch.stack([torch.full((8, 8), 0.3), torch.full((8, 8), -0.3),
                          torch.full((8, 8), 2.0)])
    model = RecordingModel('original', logits)
    head = model.head
    core = VOSInferenceCore(model)
    out0 = core.step(_image(), {1: a})
    out1 = core.step(_image(), {3: b})
    out2 = core.step(_image())
    assert out0.ids == [1] and out1.ids == [1, 3] and out2.ids == [1, 3]
    assert all(n == 3 for _, n, _ in head.seen)  # all maxseqlen steps run
    prev0, prev1, prev2 = (p for p, _, _ in head.seen)
    assert torch.equal(prev0[0, 0], a) and not prev0[0, 1:].any()
    # frame 1 still sees frame 0's given mask (not its output) and the late object's mask
    assert torch.equal(prev1[0, 0], a) and torch.equal(prev1[0, 2], b)
    # from frame 1 on the soft outputs of every slot are passed on
    assert torch.allclose(prev2[0], logits.sigmoid())
    assert torch.allclose(out1.probs, logits[[0, 2]].sigmoid())  # no given mask returned
    with pytest.raises(ValueError, match='do not fit the 3 steps'):
        core.step(_image(), {4: a})


def test_original_protocol_runs_up_to_the_highest_announced_id():
    a, b = _masks()
    model = RecordingModel('original', torch.zeros(3, 8, 8))
    core = VOSInferenceCore(model)
    core.clear(object_ids=[2, 1])
    assert core.step(_image(), {1: a}).ids == [1]
    assert core.step(_image(), {2: b}).ids == [1, 2]  # a late object among the announced
    assert [n for _, n, _ in model.head.seen] == [2, 2]
    with pytest.raises(ValueError, match=r'\[3\] were not among the object_ids'):
        core.step(_image(), {3: a})
    core.clear(object_ids=[])  # nothing to track: nothing runs
    assert core.step(_image()).ids == [] and len(model.head.seen) == 2
    core.clear(object_ids=[1, 9])  # an id beyond maxseqlen does not widen the run
    assert core.num_running == 1
    zero_shot = VOSInferenceCore(RecordingModel('original', torch.zeros(3, 8, 8),
                                                one_shot=False))
    zero_shot.clear(object_ids=[1])  # zero-shot slots are all outputs: all run
    assert zero_shot.num_running == 3


def test_clear_starts_a_new_video():
    a, b = _masks()
    model = RecordingModel('mmsegsup', torch.zeros(3, 8, 8))
    core = VOSInferenceCore(model)
    core.step(_image(), {1: a})
    core.step(_image())
    core.clear()
    assert core.step(_image(), {7: b}).ids == [7]
    assert model.head.seen[-1][2] is False  # no temporal state carried across videos
    core.clear()
    assert core.step(_image()).ids == [] and len(model.encoded) == 3  # nothing to track yet


def test_instances_and_id_map_one_object_per_pixel():
    core = VOSInferenceCore(RecordingModel('mmsegsup', torch.zeros(3, 4, 4)))
    probs = torch.zeros(2, 4, 4)
    probs[0, :, :2] = 0.9
    probs[1, :, 1:] = 0.8  # overlaps object 5 on column 1, where 5 is more likely
    out = core.step(_image(4, 4), {5: probs[0] > 0.5, 6: probs[1] > 0.5})
    out = out._replace(probs=probs)
    inst = core.instances(out, dict(img_shape=(4, 4), ori_shape=(4, 4)))
    labels = id_map(inst.masks.numpy(), out.ids, (4, 4))
    assert labels[:, 0].tolist() == [5] * 4 and labels[:, 1].tolist() == [5] * 4
    assert (labels[:, 2:] == 6).all()
    with pytest.raises(TypeError, match='frame'):
        VOSInferenceCore(SimpleNamespace())
    with pytest.raises(TypeError, match='extract_feat'):
        VOSInferenceCore(SimpleNamespace(head=RecordingHead('mmsegsup', probs)))


@pytest.fixture(scope='module')
def model_and_video(tmp_path_factory):
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(REPO, CFG))
    cfg.val_dataloader.dataset.update(data_root=str(tmp_path_factory.mktemp('v')),
                                      num_videos=1, num_frames=4)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ds = DATASETS.build(cfg.val_dataloader.dataset)
    return model.eval(), ds


def test_streamed_steps_equal_predict_and_the_video_api(model_and_video):
    """RVOS.predict (tools/test.py), the step loop a script writes and inference_video (the
    demo) are the same core: equal id maps frame by frame."""
    model, ds = model_and_video
    data = model.data_preprocessor(pseudo_collate([ds[0]]), False)
    with torch.no_grad():
        video = model(**data, mode='predict')[0]
    predicted = [id_map(video[t].pred_track_instances.masks.numpy(),
                        video[t].pred_track_instances.instances_ids.tolist(),
                        video[t].ori_shape) for t in range(len(video))]
    # the API normalises the raw (BGR) frames itself
    raw = pseudo_collate([ds[0]])['inputs'][0]
    raw_frames = [raw[t].permute(1, 2, 0).numpy().astype(np.uint8) for t in range(len(raw))]
    gt = video[0].gt_instances
    first = id_map(gt.masks.to_ndarray().astype(bool), gt.instances_ids.tolist(),
                   video[0].ori_shape)
    api = [labels for _, labels in inference_video(model, iter(raw_frames), first)]
    assert len(api) == len(predicted) == len(raw_frames)
    for t in range(len(video)):
        np.testing.assert_array_equal(api[t], predicted[t])
    assert len(np.unique(predicted[-1])) > 1  # the objects are still tracked at the end
