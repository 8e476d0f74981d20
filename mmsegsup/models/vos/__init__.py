from .inference_core import Propagated, VOSInferenceCore, id_map
from .rvos import RVOS

__all__ = ['RVOS', 'VOSInferenceCore', 'Propagated', 'id_map']
