"""Readers and key maps for the thesis's published checkpoints (used by tools/model_converters)."""
from .published import (PublishedCheckpointError, convert_rsis, convert_rvos, map_rsis_keys,
                        map_rvos_keys, published_kind, read_published, rsis_classes,
                        rsis_model_cfg, rvos_model_cfg, write_converted)
from .refvos import (RefVOSCheckpointError, convert_refvos, read_bert_folder, read_refvos,
                     refvos_model_cfg)

__all__ = ['PublishedCheckpointError', 'RefVOSCheckpointError', 'convert_refvos', 'convert_rsis',
           'convert_rvos', 'map_rsis_keys', 'map_rvos_keys', 'published_kind', 'read_bert_folder',
           'read_published', 'read_refvos', 'refvos_model_cfg', 'rsis_classes', 'rsis_model_cfg',
           'rvos_model_cfg', 'write_converted']
