"""Mask-guided active learning (thesis ch. 5): score the pool, select, label, retrain."""
from .mc_dropout import enable_mc_dropout, pixel_std
from .selectors import (SELECTORS, BaseSelector, ClosestToBeta, MCDropoutSelector, OracleBeta,
                        RandomSelector, build_selector, check_pool)

__all__ = ['enable_mc_dropout', 'pixel_std', 'SELECTORS', 'BaseSelector', 'ClosestToBeta',
           'MCDropoutSelector', 'OracleBeta', 'RandomSelector', 'build_selector', 'check_pool']
