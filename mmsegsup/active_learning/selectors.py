"""Sample-selection strategies of mask-guided active learning (thesis 5.4.2).

A strategy picks ``num`` images of the unlabeled pool from per-image records that
:func:`mmsegsup.active_learning.score_pool` wrote: ``img_id``, ``score`` (mean predicted IoU of
the image's masks, eq. 5.2), ``oracle`` (mean true IoU, when the pool has ground truth) and
``mc_std`` (MC-dropout pixel standard deviation, when scored with several passes) and
``crossfit`` (the cross-fitted predicted IoU, :mod:`~mmsegsup.active_learning.crossfit`). Strategies
are registered in :data:`SELECTORS` and built from config dicts such as
``dict(type='ClosestToBeta', beta=0.3)``. Given the records and the seed, every choice is
deterministic; ties are broken by a seeded permutation of the pool.
"""
from abc import ABC, abstractmethod
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.registry import Registry

SELECTORS = Registry('active-learning selector')
Record = Dict[str, object]


def check_pool(records: Sequence[Record], num: int) -> None:
    """The errors a user can cause: an empty pool, or asking for more images than it has."""
    if not records:
        raise ValueError('the unlabeled pool is empty: there is nothing left to select')
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"N' (images to select) must be a positive integer, got {num!r}")
    if num > len(records):
        raise ValueError(f"N'={num} images to select, but the unlabeled pool has only "
                         f'{len(records)}')


def _tie_rank(records: Sequence[Record], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(len(records))


class BaseSelector(ABC):
    """Pick ``num`` image ids of ``records``; subclasses define :meth:`keys` (lower first)."""

    #: record fields the strategy needs (scoring computes ``mc_std`` only when asked)
    requires: tuple = ()

    @property
    @abstractmethod
    def name(self) -> str:
        """The strategy's name in run folders and tables."""

    @abstractmethod
    def keys(self, records: Sequence[Record]) -> np.ndarray:
        """One sort key per record; the lowest are selected."""

    def select(self, records: Sequence[Record], num: int, seed: int = 0) -> List[int]:
        check_pool(records, num)
        for field in self.requires:
            missing = [r['img_id'] for r in records if r.get(field) is None]
            if missing:
                raise ValueError(f'{self.name} needs the {field!r} of every pool image; '
                                 f'{len(missing)} have none (e.g. image {missing[0]}). '
                                 + _HOW_TO.get(field, ''))
        order = np.lexsort((_tie_rank(records, seed), self.keys(records)))
        return [int(records[i]['img_id']) for i in order[:num]]


_HOW_TO = dict(oracle='The oracle score needs the pool\'s ground-truth masks.',
               mc_std='Score the pool with mc_passes >= 2 and a model with encoder_dropout.',
               crossfit='The loop computes it for strategies that ask for it.',
               score='Score the pool with a model that has an IoU branch.')


@SELECTORS.register_module()
class RandomSelector(BaseSelector):
    """Uniformly random images: the baseline of tables 5.2 / 5.3."""

    @property
    def name(self) -> str:
        return 'random'

    def keys(self, records: Sequence[Record]) -> np.ndarray:
        return np.zeros(len(records))  # everything ties: the seeded permutation decides


@SELECTORS.register_module()
class ClosestToBeta(BaseSelector):
    """The images whose image score is nearest to ``beta`` (the mask-guided criterion).

    Args:
        beta: target IoU score in [0, 1] (the thesis finds 0.3-0.6 best).
        score: 'predicted' (the annotator's IoU branch, trained freeze-then-train: the
            thesis), 'crossfit' (the cross-fitted IoU branches, beyond the thesis) or
            'oracle' (true IoU, for analysis).
    """

    #: score option -> (record field, name prefix)
    SCORES = dict(predicted=('score', 'beta'), crossfit=('crossfit', 'crossfit-beta'),
                  oracle=('oracle', 'oracle-beta'))

    def __init__(self, beta: float, score: str = 'predicted') -> None:
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta <= 1:
            raise ValueError(f'beta must be a number in [0, 1], got {beta!r}')
        if score not in self.SCORES:
            raise ValueError(f'score must be one of {sorted(self.SCORES)}, got {score!r}')
        self.beta = float(beta)
        self.field, self.prefix = self.SCORES[score]
        self.requires = (self.field, )

    @property
    def name(self) -> str:
        return f'{self.prefix}{self.beta:g}'

    def keys(self, records: Sequence[Record]) -> np.ndarray:
        return np.abs(np.array([float(r[self.field]) for r in records]) - self.beta)


@SELECTORS.register_module()
class OracleBeta(ClosestToBeta):
    """:class:`ClosestToBeta` on the true IoU (table 5.2's oracle experiment)."""

    def __init__(self, beta: float) -> None:
        super().__init__(beta, score='oracle')


@SELECTORS.register_module()
class MCDropoutSelector(BaseSelector):
    """The images whose MC-dropout pixel standard deviation is the highest or the lowest
    (the "Dropout Baseline" rows of tables 5.2 / 5.3)."""

    requires = ('mc_std', )

    def __init__(self, mode: str = 'highest') -> None:
        if mode not in ('highest', 'lowest'):
            raise ValueError(f"mode must be 'highest' or 'lowest', got {mode!r}")
        self.mode = mode

    @property
    def name(self) -> str:
        return f'mc-dropout-{self.mode}'

    def keys(self, records: Sequence[Record]) -> np.ndarray:
        std = np.array([float(r['mc_std']) for r in records])
        return -std if self.mode == 'highest' else std


def build_selector(cfg: Optional[dict]) -> BaseSelector:
    """A strategy from its config dict (``type`` one of the registered names)."""
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(f'a selection strategy is a dict with a "type" among '
                         f'{sorted(SELECTORS.module_dict)}, got {cfg!r}')
    return SELECTORS.build(dict(cfg))
