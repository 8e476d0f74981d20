"""Pure numpy metric functions (no registries, no torch)."""
from .davis_metrics import (MaskBoundary, boundary_measure, boundary_radius, count_matches,
                            davis_statistics, disk, f_from_counts, mask_boundary,
                            region_similarity, seg_to_boundary)
from .referring_metrics import (PRECISION_THRESHOLDS, REFERRING_CSV_COLUMNS,
                                intersection_and_union, load_referring_results_csv, mean_iou,
                                merge_object_probabilities, overall_iou, per_expression_rows,
                                precision_at, precision_key, quantize_foreground,
                                referring_scores, sample_ious, write_referring_results_csv)

__all__ = [
    'PRECISION_THRESHOLDS', 'REFERRING_CSV_COLUMNS', 'intersection_and_union',
    'load_referring_results_csv', 'mean_iou', 'merge_object_probabilities', 'overall_iou',
    'per_expression_rows', 'precision_at', 'precision_key', 'quantize_foreground',
    'referring_scores', 'sample_ious', 'write_referring_results_csv',
    'MaskBoundary', 'boundary_measure', 'boundary_radius', 'count_matches', 'davis_statistics',
    'disk', 'f_from_counts', 'mask_boundary', 'region_similarity', 'seg_to_boundary'
]
