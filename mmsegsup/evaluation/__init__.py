"""Evaluation: DAVIS-2017 / YouTube-VOS video object segmentation (J, F, J&F) equal to the
official code, referring metrics, and the MMEngine metrics built on them.

Imports nothing: a CLI scoring a results folder (``tools/eval_davis.py``) imports
:mod:`.davis_eval` alone, without the models the metrics reach. The metrics register from
:mod:`.metrics`, the registries' location for them (:mod:`mmsegsup.registry`).
"""
