from .checkpoint import allow_mmengine_checkpoint_globals
from .dist import setup_cpu_distributed, teardown_distributed
from .io import dump_json_atomic, imwrite_atomic, write_text_atomic

__all__ = [
    'allow_mmengine_checkpoint_globals', 'setup_cpu_distributed', 'teardown_distributed',
    'dump_json_atomic', 'imwrite_atomic', 'write_text_atomic'
]
