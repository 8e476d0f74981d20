"""Evaluation: DAVIS-2017 video object segmentation (J, F, J&F) equal to the official code."""
from .davis_eval import (GLOBAL_COLUMNS, MAX_PROPOSALS, PER_SEQUENCE_COLUMNS, TASKS, VOID_LABEL,
                         DavisSequence, evaluate_davis, evaluate_sequence, format_davis_tables,
                         list_davis_sequences, load_annotations, load_results, read_index_png,
                         write_davis_csvs)
from .functional import (MaskBoundary, boundary_measure, boundary_radius, count_matches,
                         davis_statistics, disk, f_from_counts, mask_boundary, region_similarity,
                         seg_to_boundary)
from .functional import (PRECISION_THRESHOLDS, load_referring_results_csv, referring_scores,
                         write_referring_results_csv)
from .metrics import DAVISMetric, ReferringDAVISMetric, ReferringMetric

__all__ = [
    'DAVISMetric', 'ReferringDAVISMetric', 'ReferringMetric', 'PRECISION_THRESHOLDS',
    'load_referring_results_csv', 'referring_scores', 'write_referring_results_csv',
    'GLOBAL_COLUMNS', 'MAX_PROPOSALS', 'PER_SEQUENCE_COLUMNS', 'TASKS', 'VOID_LABEL',
    'DavisSequence', 'evaluate_davis',
    'evaluate_sequence', 'format_davis_tables', 'list_davis_sequences', 'load_annotations',
    'load_results', 'read_index_png', 'write_davis_csvs', 'MaskBoundary', 'boundary_measure',
    'boundary_radius', 'count_matches', 'davis_statistics', 'disk', 'f_from_counts',
    'mask_boundary', 'region_similarity', 'seg_to_boundary'
]
