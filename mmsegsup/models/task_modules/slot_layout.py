"""Which object sits in which slot: one layout for RVOS training targets and video inference.

As hkchengrex/Cutie's ``ObjectManager``: a :class:`SlotLayout` maps object ids to slot indices
(the position of an object in the tensors the head runs on), says which objects enter at a frame
and in which order the outputs are listed. The protocols differ only in its mode:

- ``'entry'`` (``protocol='mmsegsup'``, one-shot): objects take the next slots in order of entry
  (those entering together in id order); as many slots as objects.
- ``'by_id'`` (``protocol='original'``, imatge-upc/rvos): object ``i`` sits at slot ``i - 1`` of
  all ``num_slots`` (``maxseqlen``). Zero-shot proposals are this layout with every slot
  filled: slot ``s`` is reported as object ``s + 1``.
- ``'assigned'`` (zero-shot, ``slot_assignment='first_frame'``): ``num_slots`` proposal slots; an
  object given at a frame takes a free slot by a Hungarian assignment on IoU (:meth:`assign`).

:func:`slot_targets` is the one loop that writes ground truth into ``(B, T, S, H, W)`` training
targets; :meth:`SlotLayout.write` also puts given masks in slot order at inference.
"""
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import torch
from mmdet.structures import DetDataSample, TrackDataSample
from scipy.optimize import linear_sum_assignment
from torch import Tensor

MODES = ('entry', 'by_id', 'assigned')


def given_masks(sample: DetDataSample,
                device: Union[str, torch.device] = 'cpu') -> Dict[int, Tensor]:
    """The masks a frame's ``gt_instances`` gives, by object id (none is fine)."""
    if 'gt_instances' not in sample or len(sample.gt_instances) == 0:
        return {}
    gt = sample.gt_instances
    masks = gt.masks.to_tensor(torch.float32, device)
    return {int(i): masks[k] for k, i in enumerate(gt.instances_ids.tolist())}


def given_labels(sample: DetDataSample) -> Dict[int, Tensor]:
    """The class a frame's ``gt_instances`` gives each object id (none without labels)."""
    gt = sample.get('gt_instances')
    if gt is None or 'labels' not in gt:
        return {}
    return dict(zip((int(i) for i in gt.instances_ids.tolist()), gt.labels))


class SlotLayout:
    """Object ids <-> slot indices of one video (inference) or clip (training targets).

    Args:
        mode: ``'entry'``, ``'by_id'`` or ``'assigned'`` (module docstring).
        num_slots: the fixed number of slots of ``'by_id'`` / ``'assigned'`` (``'entry'``
            grows with the objects and ignores it).
    """

    def __init__(self, mode: str = 'entry', num_slots: Optional[int] = None) -> None:
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if mode != 'entry' and num_slots is None:
            raise ValueError(f'a {mode!r} slot layout needs num_slots')
        self.mode = mode
        self.size = None if mode == 'entry' else int(num_slots)
        self.slot_of: Dict[int, int] = {}

    @classmethod
    def for_video(cls, protocol: str, one_shot: bool, num_slots: int,
                  slot_assignment: Optional[str] = None) -> 'SlotLayout':
        """The layout a video starts inference with under a head's protocol options."""
        if not one_shot and slot_assignment == 'first_frame':
            return cls('assigned', num_slots)
        if not one_shot:  # every slot is a proposal, reported as object slot + 1
            layout = cls('by_id', num_slots)
            layout.enter(range(1, num_slots + 1))
            return layout
        return cls('by_id', num_slots) if protocol == 'original' else cls('entry')

    @classmethod
    def for_clip(cls, clip: TrackDataSample, protocol: str, one_shot: bool,
                 num_slots: int) -> 'SlotLayout':
        """Training: the slots of a clip's objects. ``'original'``: id ``i`` at slot ``i - 1``
        of ``num_slots``, ids beyond dropped (dataset.py:262-263); otherwise the objects of
        the first frame (one-shot: their masks are given) or of any frame (zero-shot: the loss
        matches them to the slots), in id order."""
        if protocol == 'original':
            layout, frames = cls('by_id', num_slots), range(len(clip))
        else:
            layout, frames = cls('entry'), range(1 if one_shot else len(clip))
        layout.enter((i for t in frames for i in clip[t].gt_instances.instances_ids.tolist()),
                     drop_unfit=True)
        return layout

    # ------------------------------------------------------------------ what sits where
    @property
    def num_slots(self) -> int:
        """Slots the head runs: one per object (``'entry'``), else all of them."""
        return len(self.slot_of) if self.size is None else self.size

    @property
    def ids(self) -> List[int]:
        """The objects in output order: order of entry (``'entry'``: slot order), else id
        order."""
        return list(self.slot_of) if self.mode == 'entry' else sorted(self.slot_of)

    @property
    def slots(self) -> List[int]:
        """The slot of each of :attr:`ids`: the index order of the outputs."""
        return [self.slot_of[i] for i in self.ids]

    def slot(self, obj: int) -> Optional[int]:
        """The slot of object ``obj`` (None when it has none)."""
        return self.slot_of.get(obj)

    def fits(self, obj: int) -> bool:
        """Whether ``obj`` may take a slot (``'by_id'``: ``1 <= obj <= num_slots``)."""
        return self.mode != 'by_id' or 1 <= obj <= self.size

    # ------------------------------------------------------------------ entering objects
    def enter(self, ids: Iterable[int], drop_unfit: bool = False) -> List[int]:
        """Objects of ``ids`` without a slot take one, in id order; returns them (the entering
        objects). An id that does not fit (:meth:`fits`) is dropped with ``drop_unfit``
        (training, as the original's dataset), refused otherwise (inference)."""
        if self.mode == 'assigned':
            raise ValueError("an 'assigned' slot layout places objects with assign()")
        new = sorted({int(i) for i in ids} - set(self.slot_of))
        unfit = [i for i in new if not self.fits(i)]
        if unfit and not drop_unfit:
            raise ValueError(f'object ids {unfit} do not fit the {self.size} steps of this '
                             'model (maxseqlen)')
        new = [i for i in new if self.fits(i)]
        for obj in new:
            self.slot_of[obj] = obj - 1 if self.mode == 'by_id' else len(self.slot_of)
        return new

    def assign(self, masks: Mapping[int, Tensor], pred: Tensor) -> List[int]:
        """``'assigned'``: the objects of ``masks`` without a slot take free slots by a
        Hungarian assignment on the IoU of their masks with ``pred`` ``(num_slots, H, W)``
        (boolean, each slot's prediction); returns the objects placed."""
        if self.mode != 'assigned':
            raise ValueError(f'assign() places objects of an assigned layout, not {self.mode!r}')
        new = sorted(i for i in masks if i not in self.slot_of)
        free = [s for s in range(self.num_slots) if s not in self.slot_of.values()]
        if not (new and free):
            return []
        entering = SlotLayout()
        entering.enter(new)
        given = entering.realize(masks, pred.shape[-2:], pred.device)[:, None] > 0
        inter = (given & pred[free][None]).flatten(2).sum(-1).float()
        union = (given | pred[free][None]).flatten(2).sum(-1).float()
        rows, cols = linear_sum_assignment(-(inter / union.clamp(min=1)).cpu().numpy())
        for r, c in zip(rows, cols):
            self.slot_of[new[r]] = free[c]
        return [new[r] for r in rows]

    # ------------------------------------------------------------------ tensors in slot order
    def write(self, values: Mapping[int, Tensor], out: Tensor) -> None:
        """``out[slot]`` = the value of each object that has a slot, zero-padded at the bottom /
        right to ``out``'s trailing shape (Cutie's ``realize_dict``); others are skipped."""
        for obj, value in values.items():
            slot = self.slot_of.get(obj)
            if slot is None:
                continue
            value = torch.as_tensor(value, dtype=out.dtype, device=out.device)
            if any(v > o for v, o in zip(value.shape, out.shape[1:])):
                raise ValueError(f'the mask given for object {obj} is {tuple(value.shape)}, '
                                 f'larger than the input {tuple(out.shape[1:])}')
            out[slot] = 0
            out[(slot, ) + tuple(slice(0, n) for n in value.shape)] = value

    def realize(self, values: Mapping[int, Tensor], shape: Tuple[int, ...],
                device: Union[str, torch.device]) -> Tensor:
        """``(num_slots, *shape)`` float32 of ``values`` in slot order, zeros elsewhere."""
        out = torch.zeros((self.num_slots, ) + tuple(shape), device=device)
        self.write(values, out)
        return out


class SlotTargets(NamedTuple):
    """Training ground truth of a batch of clips in their slots (:func:`slot_targets`)."""
    masks: Tensor  # (B, T, S, H, W) each slot's object, zeros where it is absent
    filled: Tensor  # (B, S) the slots that hold an object
    labels: Tensor  # (B, S) each slot's class (of its object's last frame), 0 elsewhere

    @property
    def present(self) -> Tensor:
        """``(B, T, S)``: the slot's object has a non-empty mask in that frame."""
        return self.masks.flatten(3).any(-1)


def slot_targets(clips: Sequence[TrackDataSample], layouts: Sequence[SlotLayout],
                 device: torch.device) -> SlotTargets:
    """The ground truth of every frame of each clip in that clip's layout, at the batch input
    size; ``S`` is the largest layout (at least 1)."""
    num = max([layout.num_slots for layout in layouts] + [1])
    size = tuple(clips[0][0].metainfo['batch_input_shape'])
    num_frames = len(clips[0])
    masks = torch.zeros((len(clips), num_frames, num) + size, device=device)
    filled = torch.zeros((len(clips), num), dtype=torch.bool, device=device)
    labels = torch.zeros((len(clips), num), dtype=torch.long, device=device)
    for b, (clip, layout) in enumerate(zip(clips, layouts)):
        filled[b, layout.slots] = True
        for t in range(num_frames):
            layout.write(given_masks(clip[t], device), masks[b, t])
            layout.write(given_labels(clip[t]), labels[b])
    return SlotTargets(masks, filled, labels)
