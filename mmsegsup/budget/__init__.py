"""Annotation-budget model of the thesis, chapter 4 (BASIS): what labels cost, in days.

Pure standard-library code (no torch), see :mod:`mmsegsup.budget.cost_model`; the CLI is
``tools/budget.py``.
"""
from .cost_model import (SECONDS_PER_DAY, THESIS_RATE_DECIMALS, THESIS_TIMES, VOC_STATS,
                         AnnotationStats, BudgetMix, ItemTimes, budget_days, cost_per_image,
                         cost_table, explain_cost, format_cost, format_days, max_images,
                         plan_budget, rate_days, stats_from_coco, stats_from_data_list,
                         stats_from_labels)

__all__ = ['AnnotationStats', 'BudgetMix', 'ItemTimes', 'SECONDS_PER_DAY', 'THESIS_RATE_DECIMALS',
           'THESIS_TIMES', 'VOC_STATS', 'budget_days', 'cost_per_image', 'cost_table',
           'explain_cost', 'format_cost', 'format_days', 'max_images', 'plan_budget', 'rate_days',
           'stats_from_coco', 'stats_from_data_list', 'stats_from_labels']
