"""Readers, key maps and config derivation for the thesis's published checkpoints (used by
tools/model_converters)."""
from .base_configs import config_path, derived_model
from .published import (PublishedCheckpointError, convert_rsis, convert_rvos, map_rsis_keys,
                        map_rvos_keys, published_kind, read_published, rsis_classes,
                        rsis_model_cfg, rvos_model_cfg, write_converted)
from .refvos import (RefVOSCheckpointError, convert_refvos, read_bert_folder, read_refvos,
                     refvos_model_cfg, thesis_refvos_cfg)
from .refvos_keys import original_key

__all__ = ['PublishedCheckpointError', 'RefVOSCheckpointError', 'config_path', 'convert_refvos',
           'convert_rsis', 'convert_rvos', 'derived_model', 'map_rsis_keys', 'map_rvos_keys',
           'original_key', 'published_kind', 'read_bert_folder', 'read_published', 'read_refvos',
           'refvos_model_cfg', 'rsis_classes', 'rsis_model_cfg', 'rvos_model_cfg',
           'thesis_refvos_cfg', 'write_converted']
