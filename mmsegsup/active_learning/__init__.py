"""Mask-guided active learning (thesis ch. 5): score the pool, select, label, retrain."""
from .loop import ActiveLearningRun, AwaitingLabels
from .mc_dropout import enable_mc_dropout, pixel_std
from .settings import load_settings
from .report import write_report
from .scoring import iou_mae, load_records, oracle_score, score_pool, true_ious
from .selectors import (SELECTORS, BaseSelector, ClosestToBeta, MCDropoutSelector, OracleBeta,
                        RandomSelector, build_selector, check_pool)

__all__ = ['ActiveLearningRun', 'AwaitingLabels', 'load_settings', 'enable_mc_dropout',
           'pixel_std', 'write_report', 'iou_mae', 'load_records', 'oracle_score', 'score_pool',
           'true_ious', 'SELECTORS', 'BaseSelector', 'ClosestToBeta', 'MCDropoutSelector',
           'OracleBeta', 'RandomSelector', 'build_selector', 'check_pool']
