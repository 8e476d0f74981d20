"""Workflow hooks, registered in MMEngine's root registry (visible from every scope)."""
from .hooks import *  # noqa: F401,F403
