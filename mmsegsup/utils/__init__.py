from .checkpoint import allow_mmengine_checkpoint_globals
from .dist import setup_cpu_distributed, teardown_distributed
from .errors import DatasetFormatError
from .safe_pickle import (NAMESPACE_GLOBALS, SafeUnpickler, UnsafePickleError, safe_load_namespace,
                          safe_load_pickle)
from .io import (dump_json_atomic, imwrite_atomic, save_index_png_atomic,
                 write_text_atomic)

__all__ = [
    'DatasetFormatError', 'allow_mmengine_checkpoint_globals', 'setup_cpu_distributed',
    'teardown_distributed', 'dump_json_atomic', 'imwrite_atomic', 'save_index_png_atomic',
    'write_text_atomic', 'NAMESPACE_GLOBALS', 'SafeUnpickler', 'UnsafePickleError',
    'safe_load_namespace', 'safe_load_pickle'
]
