"""Workflow hooks, loops, lr schedules and optimizer constructors, registered in MMEngine's
root registries (visible from every scope)."""
from .hooks import *  # noqa: F401,F403
from .loops import LossValLoop  # noqa: F401
from .optimizers import ModuleWalkOptimWrapperConstructor  # noqa: F401
from .schedulers import TorchvisionPolyLR  # noqa: F401
