"""What a pre-filled image costs: correcting the annotation network's masks against drawing
every mask from scratch, in the units of the thesis's budget model (seconds, then days with
:mod:`mmsegsup.budget.cost_model`).

The thesis (ch. 4) prices only masks drawn from scratch; it has no correction time. The
per-item times here:

* ``draw_s`` = 79 s per mask drawn from scratch: the thesis's ``ItemTimes.mask_s`` ([10],
  thesis line 1802; 79 s/object is COCO's polygon time, thesis line 1654, Lin et al. 2014).
* ``correct_s`` = 79 / 3 = 26.33 s per pre-filled mask that needs at most a correction:
  Benenson, Popov, Ferrari, "Large-scale interactive object segmentation with human
  annotators", CVPR 2019 (arXiv 1903.10830): annotators who correct a segmentation model's
  masks "produce instance masks 3x faster than traditional polygon drawing tools" when they
  re-annotate COCO (what it measures: human time per finished mask, model output plus
  corrective clicks, against COCO's polygon drawing of the same objects). ``speedup`` = 3.
* ``delete_s`` = 1 s per false-positive mask: an assumption, priced as the one yes/no
  judgement the thesis has a measured time for (verifying a class's presence, 1 s, [10],
  thesis line 1790) plus nothing for the delete key.
* Absent classes are verified as in the thesis's ``Full`` cost (``class_check_s`` = 1 s
  each, thesis line 1802), with or without a pre-fill.

A predicted mask that a ground-truth (or submitted) instance of its class matches at IoU >=
the threshold costs ``correct_s``; an instance no prediction matches costs ``draw_s``; a
prediction that matches nothing costs ``delete_s``. Pure standard library, like the model.
"""
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Tuple

from ..formats.supervision import FULL
from .cost_model import THESIS_TIMES, AnnotationStats, ItemTimes, _check_count, _check_real, \
    cost_per_image

#: Benenson et al. (CVPR 2019): correcting a model's masks is 3x faster than drawing polygons.
CORRECTION_SPEEDUP = 3.0


@dataclass(frozen=True)
class CorrectionTimes:
    """Seconds per pre-filled item (sources in the module docstring)."""

    draw_s: float = THESIS_TIMES.mask_s
    speedup: float = CORRECTION_SPEEDUP
    delete_s: float = THESIS_TIMES.class_check_s
    class_check_s: float = THESIS_TIMES.class_check_s

    def __post_init__(self) -> None:
        for name in ('draw_s', 'speedup', 'delete_s', 'class_check_s'):
            _check_real(getattr(self, name), f'CorrectionTimes.{name}')
        if self.speedup <= 0:
            raise ValueError(f'CorrectionTimes.speedup must be positive, got {self.speedup}')

    @property
    def correct_s(self) -> float:
        """Seconds to correct (or accept) one pre-filled mask."""
        return self.draw_s / self.speedup

    def item_times(self) -> ItemTimes:
        """The chapter-4 times that price the same image drawn from scratch."""
        return ItemTimes(class_check_s=self.class_check_s, mask_s=self.draw_s)


PREFILL_TIMES = CorrectionTimes()


class ImageMatch(NamedTuple):
    """One image's pre-fill against its final labels: ``present_classes`` and ``objects``
    of the final labels, ``matched`` objects a prediction matched, unmatched predictions
    (``false_positives``)."""

    present_classes: int
    objects: int
    matched: int
    false_positives: int


def _check_match(m: ImageMatch) -> None:
    for name, value in m._asdict().items():
        _check_count(value, f'ImageMatch.{name}')
    if m.matched > m.objects:
        raise ValueError(f'{m}: more matched objects than objects')


def scratch_seconds(m: ImageMatch, num_classes: int,
                    times: CorrectionTimes = PREFILL_TIMES) -> float:
    """The thesis's ``Full`` cost of this image (chapter 4), nothing pre-filled."""
    _check_match(m)
    stats = AnnotationStats(classes_per_image=m.present_classes, objects_per_image=m.objects,
                            num_classes=num_classes)
    return cost_per_image(FULL, stats, times.item_times())


def prefilled_seconds(m: ImageMatch, num_classes: int,
                      times: CorrectionTimes = PREFILL_TIMES) -> float:
    """The same image with the pre-fill: matched masks corrected, missed ones drawn, false
    positives deleted, absent classes verified."""
    _check_match(m)
    _check_count(num_classes, 'num_classes')
    if m.present_classes > num_classes:
        raise ValueError(f'{m}: more present classes than the {num_classes} of the vocabulary')
    return ((num_classes - m.present_classes) * times.class_check_s
            + m.matched * times.correct_s + (m.objects - m.matched) * times.draw_s
            + m.false_positives * times.delete_s)


def price_images(matches: Iterable[ImageMatch], num_classes: int,
                 times: CorrectionTimes = PREFILL_TIMES) -> Tuple[float, float]:
    """``(from scratch, pre-filled)`` seconds of a set of images."""
    scratch = prefilled = 0.0
    for m in matches:
        scratch += scratch_seconds(m, num_classes, times)
        prefilled += prefilled_seconds(m, num_classes, times)
    return scratch, prefilled
