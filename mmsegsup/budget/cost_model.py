"""Annotation-budget model of the thesis, chapter 4 (BASIS), section 4.3.

A labelling effort is priced as ``images x seconds per image`` for each supervision type, and
expressed in days. The per-image costs are not measured here: they are *derived* from three
dataset statistics (classes per image, objects per image, size of the class vocabulary) and
per-item annotation times taken from the literature, exactly as the thesis does, so the same
model prices any dataset whose statistics we can compute (``stats_from_coco``).

How the thesis turns seconds into days (found by reproducing every printed number; the text
does not spell it out):

* a day is a calendar day of 24 h (86400 s), not a work day: N=100 full masks is
  100 x 239.7 s = 23970 s = 0.2774 d, printed 0.28 (tables 4.3 / 4.5, thesis lines 1901, 2038);
  with 8 h days it would be 0.83;
* a mix of N strong and M weak images costs ``N x rate_strong + M x rate_weak`` where each rate
  is the per-image cost in days *rounded to 6 decimals* (0.002774 d for full masks, 0.000257 d
  for IL+C). Summing unrounded seconds misses 3 of the 30 cells of table 4.7(b) by 0.01
  (computed 2.81 / 2.04 / 6.41, printed 2.80 / 2.03 / 6.40 at lines 2237, 2239, 2240); the
  6-decimal rates match all 30 cells (lines 2234-2240) and every budget of tables 4.3, 4.5
  and 4.8 (lines 2249-2258) except the 2.43 days quoted for [198] (line 2260).
  ``rate_decimals=None`` gives the unrounded model.

Everything here is pure: no I/O besides reading a COCO file in ``stats_from_coco``, and only the
standard library, so ``tools/budget.py`` can load it without torch.
"""
import math
import numbers
import os
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Union

from ..formats.coco_json import check_coco_lists, index_coco, load_coco_json
from ..formats.errors import FormatError
from ..formats.supervision import FULL, IMAGE_LABELS, KINDS, LABELS_COUNTS, normalize_kind


# ---- argument checks -----------------------------------------------------------------------

def _check_real(value: Any, name: str) -> None:
    """A finite, non-negative real number (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f'{name} must be a number, got {value!r}')
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f'{name} must be finite, got {value}')
    if value < 0:
        raise ValueError(f'{name} must be non-negative, got {value}')


def _check_count(value: Any, name: str) -> None:
    """A non-negative integer (Python or numpy int; not a float, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f'{name} must be a whole number (int), got {value!r}')
    if value < 0:
        raise ValueError(f'{name} must be non-negative, got {value}')


def _check_days(days: Any) -> None:
    _check_real(days, 'days')


def _check_pool(n_strong: int, m_weak: int, pool_size: Optional[int]) -> None:
    if pool_size is None:
        return
    _check_count(pool_size, 'pool_size')
    if n_strong > pool_size:
        raise ValueError(f'n_strong ({n_strong}) exceeds pool_size ({pool_size})')
    if m_weak > pool_size:
        raise ValueError(f'm_weak ({m_weak}) exceeds pool_size ({pool_size})')
    if n_strong + m_weak > pool_size:
        raise ValueError(f'n_strong + m_weak ({n_strong} + {m_weak} = {n_strong + m_weak}) '
                         f'exceeds pool_size ({pool_size}); strong and weak images are '
                         'distinct images of the pool')


# ---- inputs of the model -------------------------------------------------------------------

@dataclass(frozen=True)
class ItemTimes:
    """Seconds an annotator spends per item; the defaults are the thesis's sources.

    * ``class_check_s`` = 1 s to verify whether one class is present in an image: Bearman et
      al. [10], thesis line 1790 ("the time to verify the presence of a class ... is of 1 second").
    * ``count_s`` = 1.48 s per present class to also count its instances: Gao et al. [54], line
      1797-1798 ("counting increases the annotation time to 1.48s per class").
    * ``mask_s`` = 79 s per instance mask: [10], line 1802 ("2.8 mask/image x 79 s/mask").
    * ``box_s`` = 7 s per box drawn by clicking extreme points: Papadopoulos et al. [123],
      lines 1817-1818 ("cut the cost of annotating a bounding box to 7.0 s/box").
    """

    class_check_s: float = 1.0
    count_s: float = 1.48
    mask_s: float = 79.0
    box_s: float = 7.0

    def __post_init__(self) -> None:
        for name in ('class_check_s', 'count_s', 'mask_s', 'box_s'):
            _check_real(getattr(self, name), f'ItemTimes.{name}')


@dataclass(frozen=True)
class AnnotationStats:
    """The dataset statistics the per-image costs are derived from.

    Defaults are Pascal VOC 2012 as quoted by the thesis from [10] (lines 1785-1787): 1.5 classes
    per image, 2.8 objects per image, 20 classes. ``num_images`` and ``source`` only describe
    where computed statistics came from.
    """

    classes_per_image: float = 1.5
    objects_per_image: float = 2.8
    num_classes: int = 20
    num_images: Optional[int] = None
    source: str = 'Pascal VOC 2012 (thesis sec. 4.3, after [10])'

    def __post_init__(self) -> None:
        _check_real(self.classes_per_image, 'classes_per_image')
        _check_real(self.objects_per_image, 'objects_per_image')
        _check_count(self.num_classes, 'num_classes')
        if self.num_classes < 1:
            raise ValueError(f'num_classes must be at least 1, got {self.num_classes}')
        if self.classes_per_image > self.num_classes:
            raise ValueError(f'classes_per_image ({self.classes_per_image}) cannot exceed '
                             f'num_classes ({self.num_classes})')
        # Every present class has at least one object, so objects >= classes per image.
        if self.objects_per_image < self.classes_per_image:
            raise ValueError(f'objects_per_image ({self.objects_per_image}) cannot be below '
                             f'classes_per_image ({self.classes_per_image})')
        if self.num_images is not None:
            _check_count(self.num_images, 'num_images')


VOC_STATS = AnnotationStats()
THESIS_TIMES = ItemTimes()

#: Thesis days are calendar days (see the module docstring).
SECONDS_PER_DAY = 24 * 60 * 60
#: Per-image cost in days is rounded to this many decimals before multiplying by counts.
THESIS_RATE_DECIMALS = 6


# ---- per-image costs -----------------------------------------------------------------------

def _d(x: float) -> Decimal:
    """Decimal of a float's shortest repr, so 2.8 x 79 is 221.2 and not 221.20000000000002."""
    return Decimal(repr(float(x)))


def _cost_terms(kind: str, stats: AnnotationStats, times: ItemTimes) -> List[tuple]:
    """(count, unit, seconds per unit) terms summing to the per-image cost of ``kind``.

    * IL: every class of the vocabulary is verified (20 x 1 s, line 1792-1793).
    * IL+C: IL, plus counting the instances of each present class (+ 1.5 x 1.48 s, line 1799).
    * Full / BB: [10]'s accounting. Present classes are found while drawing the objects, so only
      the absent ones are verified: the thesis's "18.5 classes/image x 1s/class" (lines 1802,
      1820) is num_classes - classes_per_image = 20 - 1.5. Then each object costs a mask (79 s)
      or a box (7 s).
    """
    kind = normalize_kind(kind)
    if kind == IMAGE_LABELS:
        return [(_d(stats.num_classes), 'classes', _d(times.class_check_s))]
    if kind == LABELS_COUNTS:
        return (_cost_terms(IMAGE_LABELS, stats, times)
                + [(_d(stats.classes_per_image), 'counted classes', _d(times.count_s))])
    absent = _d(stats.num_classes) - _d(stats.classes_per_image)
    per_object = (('masks', times.mask_s) if kind == FULL else ('boxes', times.box_s))
    return [(absent, 'absent classes', _d(times.class_check_s)),
            (_d(stats.objects_per_image), per_object[0], _d(per_object[1]))]


def _cost_decimal(kind: str, stats: AnnotationStats, times: ItemTimes) -> Decimal:
    return sum((n * t for n, _, t in _cost_terms(kind, stats, times)), Decimal(0))


def cost_per_image(kind: str, stats: AnnotationStats = VOC_STATS,
                   times: ItemTimes = THESIS_TIMES) -> float:
    """Seconds to annotate one image with supervision ``kind`` (thesis table 4.1 for VOC)."""
    return float(_cost_decimal(kind, stats, times))


def explain_cost(kind: str, stats: AnnotationStats = VOC_STATS,
                 times: ItemTimes = THESIS_TIMES) -> str:
    """The cost formula with its numbers, as the thesis writes it (e.g. for a CLI table)."""
    terms = ' + '.join(f'{_fmt(n)} {unit} x {_fmt(t)} s'
                       for n, unit, t in _cost_terms(kind, stats, times))
    return f'{terms} = {_fmt(_cost_decimal(kind, stats, times))} s'


def cost_table(stats: AnnotationStats = VOC_STATS,
               times: ItemTimes = THESIS_TIMES) -> Dict[str, float]:
    """Seconds per image of every kind, in the column order of table 4.1."""
    return {kind: cost_per_image(kind, stats, times) for kind in KINDS}


def format_cost(seconds: float) -> str:
    """A cost printed as table 4.1 does: at most 2 decimals, no trailing zeros (20, 22.22)."""
    return _fmt(_d(seconds).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))


def _fmt(x: Decimal) -> str:
    return format(x.normalize(), 'f')


# ---- budgets in days -----------------------------------------------------------------------

def rate_days(kind: str, stats: AnnotationStats = VOC_STATS, times: ItemTimes = THESIS_TIMES,
              rate_decimals: Optional[int] = THESIS_RATE_DECIMALS,
              seconds_per_day: float = SECONDS_PER_DAY) -> Decimal:
    """Days per image of ``kind``, rounded (half up) to ``rate_decimals`` as the thesis did."""
    _check_real(seconds_per_day, 'seconds_per_day')
    if seconds_per_day <= 0:
        raise ValueError(f'seconds_per_day must be positive, got {seconds_per_day}')
    rate = _cost_decimal(kind, stats, times) / _d(seconds_per_day)
    if rate_decimals is not None:
        _check_count(rate_decimals, 'rate_decimals')
        rate = rate.quantize(Decimal(1).scaleb(-rate_decimals), rounding=ROUND_HALF_UP)
    return rate


def budget_days(n_strong: int, m_weak: int = 0, weak_kind: Optional[str] = None,
                stats: AnnotationStats = VOC_STATS, strong_kind: str = FULL,
                times: ItemTimes = THESIS_TIMES, pool_size: Optional[int] = None,
                rate_decimals: Optional[int] = THESIS_RATE_DECIMALS,
                seconds_per_day: float = SECONDS_PER_DAY) -> float:
    """Days to annotate ``n_strong`` images with ``strong_kind`` plus ``m_weak`` with ``weak_kind``.

    This is the "Budget (days)" of thesis tables 4.3, 4.5 (``m_weak=0``) and 4.7(b) (IL+C weak
    labels). Unlabelled images are free. With ``pool_size``, strong and weak images are distinct
    images of one pool, so ``n_strong + m_weak`` may not exceed it.
    """
    _check_count(n_strong, 'n_strong')
    _check_count(m_weak, 'm_weak')
    strong_kind = normalize_kind(strong_kind, 'strong_kind')
    if weak_kind is not None:
        weak_kind = normalize_kind(weak_kind, 'weak_kind')
    elif m_weak > 0:
        raise ValueError(f'weak_kind is required when m_weak > 0 (got m_weak={m_weak})')
    _check_pool(n_strong, m_weak, pool_size)
    total = n_strong * rate_days(strong_kind, stats, times, rate_decimals, seconds_per_day)
    if m_weak:
        total += m_weak * rate_days(weak_kind, stats, times, rate_decimals, seconds_per_day)
    return float(total)


def format_days(days: float, decimals: int = 2) -> str:
    """``days`` at the thesis's precision (2 decimals), rounding ties up as a reader would."""
    _check_count(decimals, 'decimals')
    return str(_d(days).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def max_images(days: float, kind: str, stats: AnnotationStats = VOC_STATS,
               times: ItemTimes = THESIS_TIMES,
               rate_decimals: Optional[int] = THESIS_RATE_DECIMALS,
               seconds_per_day: float = SECONDS_PER_DAY) -> int:
    """How many images of one ``kind`` a budget of ``days`` pays for."""
    _check_days(days)
    rate = rate_days(kind, stats, times, rate_decimals, seconds_per_day)
    if rate <= 0:
        raise ValueError(f'kind {kind!r} costs nothing with these statistics; '
                         'any number of images fits')
    return int((_d(days) / rate).to_integral_value(rounding=ROUND_FLOOR))


class BudgetMix(NamedTuple):
    """One way to spend a budget: ``n_strong`` strong and ``m_weak`` weak images, and its cost."""

    n_strong: int
    m_weak: int
    days: float


def plan_budget(days: float, weak_kind: str, pool_size: int, step: int = 100,
                stats: AnnotationStats = VOC_STATS, strong_kind: str = FULL,
                times: ItemTimes = THESIS_TIMES,
                rate_decimals: Optional[int] = THESIS_RATE_DECIMALS,
                seconds_per_day: float = SECONDS_PER_DAY) -> List[BudgetMix]:
    """The (N strong, M weak) mixes of a pool of ``pool_size`` images that fit in ``days``.

    The inverse of ``budget_days``, for choosing a semi-/weakly-supervised setup at a fixed
    budget as in thesis table 4.8. N runs over 0, step, 2 step, ... and the largest affordable N;
    for each N, M is maximal: the budget or the rest of the pool (``pool_size - N``) is used up.
    Every returned mix costs at most ``days`` as computed by ``budget_days``.
    """
    _check_days(days)
    _check_count(pool_size, 'pool_size')
    _check_count(step, 'step')
    if step < 1:
        raise ValueError(f'step must be at least 1, got {step}')
    weak_kind = normalize_kind(weak_kind, 'weak_kind')
    strong_kind = normalize_kind(strong_kind, 'strong_kind')
    args = (stats, times, rate_decimals, seconds_per_day)
    strong_rate, weak_rate = rate_days(strong_kind, *args), rate_days(weak_kind, *args)
    if strong_rate <= 0 or weak_rate <= 0:
        raise ValueError('a supervision kind costs nothing with these statistics; '
                         'nothing limits the plan but the pool')
    budget = _d(days)
    n_max = min(pool_size, int((budget / strong_rate).to_integral_value(rounding=ROUND_FLOOR)))
    n_values = list(range(0, n_max + 1, step))
    if n_values[-1] != n_max:
        n_values.append(n_max)
    plan = []
    for n in n_values:
        left = budget - n * strong_rate
        m = min(pool_size - n, int((left / weak_rate).to_integral_value(rounding=ROUND_FLOOR)))
        plan.append(BudgetMix(n, m, float(n * strong_rate + m * weak_rate)))
    return plan


# ---- statistics from annotations -----------------------------------------------------------

def stats_from_labels(per_image_labels: Iterable[Sequence[Any]], num_classes: int,
                      source: str = '') -> AnnotationStats:
    """Statistics from the class labels of the objects of each image (one sequence per image).

    Images without objects count: an annotator still has to look at them.
    """
    n_images = n_classes = n_objects = 0
    for labels in per_image_labels:
        n_images += 1
        n_objects += len(labels)
        n_classes += len(set(labels))
    if n_images == 0:
        raise ValueError(f'{source or "annotations"}: no images to compute statistics from')
    return AnnotationStats(classes_per_image=n_classes / n_images,
                           objects_per_image=n_objects / n_images, num_classes=num_classes,
                           num_images=n_images, source=source)


def stats_from_coco(coco: Union[str, os.PathLike, Mapping[str, Any]],
                    ignore_crowd: bool = False) -> AnnotationStats:
    """Statistics of a COCO instances file (path) or of its loaded dict.

    ``num_classes`` is the length of ``categories`` (the vocabulary an image-level annotator
    verifies). Crowd regions count as objects unless ``ignore_crowd``: someone drew them.
    Malformed files raise :class:`~mmsegsup.formats.errors.FormatError` (a ``ValueError``)
    naming the file.
    """
    if isinstance(coco, Mapping):
        name, data = '<COCO dict>', check_coco_lists(coco, '<COCO dict>')
    else:
        name = os.fspath(coco)
        data = load_coco_json(name)
    index = index_coco(data, name)
    if not index.categories:
        raise FormatError(f'{name}: "categories" is empty; cannot count classes', name)
    labels: Dict[Any, List[Any]] = {i: [] for i in index.images}
    for ann in index.annotations:
        if not (ignore_crowd and ann.get('iscrowd', 0)):
            labels[ann['image_id']].append(ann['category_id'])
    return stats_from_labels(labels.values(), len(index.categories), source=name)


def stats_from_data_list(data_list: Iterable[Mapping[str, Any]], num_classes: int,
                         ignore_flagged: bool = False,
                         source: str = '<data list>') -> AnnotationStats:
    """Statistics of an mmdet-style data list (``dataset.load_data_list()``).

    Each item has ``instances``, dicts with ``bbox_label``; ``num_classes`` is
    ``len(dataset.metainfo['classes'])``. Instances with ``ignore_flag`` (crowd) are skipped
    only if ``ignore_flagged``.
    """
    _check_count(num_classes, 'num_classes')
    per_image = []
    for k, item in enumerate(data_list):
        instances = item.get('instances') if isinstance(item, Mapping) else None
        if not isinstance(instances, list):
            raise ValueError(f'{source}: item #{k} has no "instances" list')
        labels = []
        for inst in instances:
            if not isinstance(inst, Mapping) or 'bbox_label' not in inst:
                raise ValueError(f'{source}: an instance of item #{k} lacks "bbox_label"')
            if ignore_flagged and inst.get('ignore_flag', 0):
                continue
            labels.append(inst['bbox_label'])
        per_image.append(labels)
    return stats_from_labels(per_image, num_classes, source=source)

