"""Pricing a pre-filled image against drawing it from scratch (mmsegsup.budget.prefill_cost)."""
import pytest

from mmsegsup.budget.cost_model import VOC_STATS, cost_per_image
from mmsegsup.budget.prefill_cost import (PREFILL_TIMES, CorrectionTimes, ImageMatch,
                                          prefilled_seconds, price_images, scratch_seconds)


def test_scratch_is_the_thesis_full_cost():
    # VOC's averages (1.5 classes, 2.8 objects, 20 classes) give table 4.1's 239.7 s.
    m = ImageMatch(present_classes=1.5, objects=2.8, matched=0, false_positives=0)
    with pytest.raises(ValueError, match='whole number'):
        scratch_seconds(m, 20)
    whole = ImageMatch(present_classes=2, objects=3, matched=0, false_positives=0)
    assert scratch_seconds(whole, 20) == 18 * 1 + 3 * 79
    assert cost_per_image('full', VOC_STATS) == pytest.approx(239.7)


def test_each_outcome_is_priced_by_its_source():
    assert PREFILL_TIMES.correct_s == pytest.approx(79 / 3)
    # 3 objects of 2 classes: 2 corrected, 1 drawn, 1 false positive deleted.
    m = ImageMatch(present_classes=2, objects=3, matched=2, false_positives=1)
    assert prefilled_seconds(m, 20) == pytest.approx(18 + 2 * 79 / 3 + 79 + 1)
    # nothing matched: every object drawn, every prediction deleted -> dearer than scratch
    miss = ImageMatch(present_classes=2, objects=3, matched=0, false_positives=4)
    assert prefilled_seconds(miss, 20) == scratch_seconds(miss, 20) + 4
    # an empty image with no prediction costs its class checks either way
    empty = ImageMatch(0, 0, 0, 0)
    assert prefilled_seconds(empty, 3) == scratch_seconds(empty, 3) == 3


def test_price_images_sums_and_custom_times():
    times = CorrectionTimes(draw_s=60, speedup=4, delete_s=2, class_check_s=0.5)
    ms = [ImageMatch(1, 2, 2, 0), ImageMatch(1, 1, 0, 1)]
    scratch, pre = price_images(ms, 3, times)
    checks = 2 * (3 - 1) * 0.5  # two images, two absent classes each
    assert scratch == pytest.approx(checks + 3 * 60)
    assert pre == pytest.approx(checks + 2 * 15 + 60 + 2)


@pytest.mark.parametrize('bad', [ImageMatch(1, 2, 3, 0), ImageMatch(1, 2, -1, 0),
                                 ImageMatch(4, 4, 0, 0)])
def test_inconsistent_matches_are_refused(bad):
    with pytest.raises(ValueError):
        prefilled_seconds(bad, 3)


def test_times_are_checked():
    with pytest.raises(ValueError, match='speedup must be positive'):
        CorrectionTimes(speedup=0)
    with pytest.raises(ValueError, match='non-negative'):
        CorrectionTimes(delete_s=-1)
