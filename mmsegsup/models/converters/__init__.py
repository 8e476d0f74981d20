"""Readers and key maps for the thesis's published checkpoints (used by tools/model_converters)."""
from .published import (PublishedCheckpointError, convert_rvos, map_rvos_keys, read_published,
                        rvos_model_cfg)

__all__ = ['PublishedCheckpointError', 'convert_rvos', 'map_rvos_keys', 'read_published',
           'rvos_model_cfg']
