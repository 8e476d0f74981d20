"""Small helpers shared by our hooks and loops."""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def bare_model(runner) -> nn.Module:
    """The runner's model without its DDP / wrapper (where our attributes live)."""
    return runner.model.module if is_model_wrapper(runner.model) else runner.model
