"""Models: importing this registers every building block, head and detector."""
from .backbones import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
from .text import *  # noqa: F401,F403
from .vos import *  # noqa: F401,F403
