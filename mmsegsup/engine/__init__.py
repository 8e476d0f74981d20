"""Workflow hooks, loops and lr schedules, registered in MMEngine's root registries
(visible from every scope)."""
from .hooks import *  # noqa: F401,F403
from .loops import LossValLoop  # noqa: F401
from .schedulers import TorchvisionPolyLR  # noqa: F401
