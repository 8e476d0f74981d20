"""Pure numpy metric functions (no registries, no torch)."""
from .davis_metrics import (MaskBoundary, boundary_measure, boundary_radius, count_matches,
                            davis_statistics, disk, f_from_counts, mask_boundary,
                            region_similarity, seg_to_boundary)

__all__ = [
    'MaskBoundary', 'boundary_measure', 'boundary_radius', 'count_matches', 'davis_statistics',
    'disk', 'f_from_counts', 'mask_boundary', 'region_similarity', 'seg_to_boundary'
]
