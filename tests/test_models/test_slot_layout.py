"""SlotLayout: which object sits in which slot, for RVOS training targets and inference."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmsegsup.models.task_modules import SlotLayout, slot_targets


def _frame(objects, size=(8, 8), labels=True):
    """A frame whose ground truth is a 2x2 square per object id at the given (y, x)."""
    ids = sorted(objects)
    masks = np.zeros((len(ids), ) + size, np.uint8)
    for k, obj in enumerate(ids):
        y, x = objects[obj]
        masks[k, y:y + 2, x:x + 2] = 1
    sample = DetDataSample(metainfo=dict(batch_input_shape=size))
    gt = InstanceData(masks=BitmapMasks(masks, *size),
                      instances_ids=torch.tensor(ids, dtype=torch.long))
    if labels:
        gt.labels = torch.tensor([10 * i for i in ids], dtype=torch.long)
    sample.gt_instances = gt
    return sample


def _clip(frames, **kw):
    clip = TrackDataSample()
    clip.video_data_samples = [_frame(f, **kw) for f in frames]
    return clip


def test_entry_order_late_objects_and_output_order():
    layout = SlotLayout()
    assert layout.enter([4]) == [4]
    assert layout.enter([4, 9, 2]) == [2, 9]  # tracked 4 ignored, the others in id order
    assert layout.ids == [4, 2, 9] and layout.slots == [0, 1, 2] and layout.num_slots == 3
    assert layout.slot(9) == 2 and layout.slot(7) is None
    out = layout.realize({9: torch.ones(2, 3), 7: torch.ones(4, 4)}, (4, 4), 'cpu')
    assert out.shape == (3, 4, 4) and out[2].sum() == 6 and out[:2].sum() == 0
    with pytest.raises(ValueError, match='larger than the input'):
        layout.realize({4: torch.ones(5, 4)}, (4, 4), 'cpu')


def test_by_id_slots_ids_beyond_num_slots():
    layout = SlotLayout('by_id', 3)
    assert layout.enter([3]) == [3] and layout.num_slots == 3 and layout.slots == [2]
    assert layout.enter([1]) == [1] and layout.ids == [1, 3] and layout.slots == [0, 2]
    with pytest.raises(ValueError, match=r'object ids \[4\] do not fit the 3 steps'):
        layout.enter([4])
    assert layout.enter([2, 4, 7], drop_unfit=True) == [2]  # training drops them
    prev = torch.full((3, 2, 2), 0.5)
    layout.write({2: torch.ones(1, 1)}, prev)  # the slot is replaced, zero-padded
    assert prev[1].tolist() == [[1, 0], [0, 0]] and (prev[[0, 2]] == 0.5).all()


def test_for_video_layouts_of_both_protocols():
    assert SlotLayout.for_video('mmsegsup', True, 5).mode == 'entry'
    assert SlotLayout.for_video('original', True, 5).mode == 'by_id'
    for protocol in ('mmsegsup', 'original'):  # zero-shot proposals: slot s is object s + 1
        layout = SlotLayout.for_video(protocol, False, 3)
        assert layout.ids == [1, 2, 3] and layout.slots == [0, 1, 2]
        assert SlotLayout.for_video(protocol, False, 3, 'first_frame').ids == []


def test_zero_shot_first_frame_assignment_by_iou():
    layout = SlotLayout('assigned', 3)
    a, b = torch.zeros(4, 4), torch.zeros(4, 4)
    a[:2] = 1
    b[2:] = 1
    pred = torch.stack([b, torch.zeros(4, 4), a]).bool()  # slot 2 finds a, slot 0 finds b
    assert layout.assign({5: a, 7: b}, pred) == [5, 7]
    assert layout.ids == [5, 7] and layout.slots == [2, 0]
    assert layout.assign({5: b, 8: b}, pred) == [8]  # 5 keeps its slot; 8 takes the free one
    assert layout.slot(8) == 1 and layout.assign({9: a}, pred) == []  # no free slot left
    with pytest.raises(ValueError, match='assign'):
        layout.enter([1])
    with pytest.raises(ValueError, match='assigned layout'):
        SlotLayout().assign({1: a}, pred)


def test_training_targets_of_both_protocols():
    clips = [_clip([{2: (0, 0), 5: (4, 4), 7: (6, 0)}, {2: (2, 2)}, {2: (4, 4), 5: (0, 4)}]),
             _clip([{1: (2, 2)}, {1: (2, 4), 3: (6, 6)}, {3: (0, 0)}])]
    # mmsegsup one-shot: the first frame's objects in id order; S = the largest clip
    layouts = [SlotLayout.for_clip(c, 'mmsegsup', True, 4) for c in clips]
    assert [layout.ids for layout in layouts] == [[2, 5, 7], [1]]
    masks, filled, labels = slot_targets(clips, layouts, torch.device('cpu'))
    assert masks.shape == (2, 3, 3, 8, 8)
    assert filled.tolist() == [[True] * 3, [True, False, False]]
    assert labels.tolist() == [[20, 50, 70], [10, 0, 0]]
    assert masks[0, 2, 1, 0, 4] == 1 and masks[0, 1, 1].sum() == 0  # 5 leaves at frame 1
    assert masks[1, :, 1:].sum() == 0  # object 3 enters late: not a one-shot slot
    # zero-shot: the objects of any frame
    assert SlotLayout.for_clip(clips[1], 'mmsegsup', False, 4).ids == [1, 3]
    # original: id i at slot i - 1 of num_slots (7 > 5 dropped), the late 3 at slot 2
    layouts = [SlotLayout.for_clip(c, 'original', True, 5) for c in clips]
    targets = slot_targets(clips, layouts, torch.device('cpu'))
    assert targets.masks.shape == (2, 3, 5, 8, 8)
    assert targets.filled.tolist() == [[False, True, False, False, True],
                                       [True, False, True, False, False]]
    assert targets.masks[0, 0, 1].sum() == 4 and targets.masks[0, 2, 4, 0, 4] == 1
    assert targets.masks[1, 1, 2, 6, 6] == 1
    assert targets.present[1].tolist() == [[True, False, False, False, False],
                                           [True, False, True, False, False],
                                           [False, False, True, False, False]]
    no_labels = [_clip([{1: (0, 0)}], labels=False)]
    assert not slot_targets(no_labels, [SlotLayout.for_clip(no_labels[0], 'original', True, 2)],
                            torch.device('cpu')).labels.any()
