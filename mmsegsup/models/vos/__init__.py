from .inference_core import Propagated, VOSInferenceCore, given_masks, id_map
from .rvos import RVOS

__all__ = ['RVOS', 'VOSInferenceCore', 'Propagated', 'given_masks', 'id_map']
