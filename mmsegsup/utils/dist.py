"""Distributed set-up that also works without CUDA (gloo on CPU)."""
import os
from datetime import timedelta

import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` for MMEngine's ``pytorch`` launcher on a machine without CUDA.

    MMEngine's launcher calls ``torch.cuda.set_device`` and wraps the model in DDP with
    ``device_ids=[local_rank]``; both fail on CPU. We create the gloo process group ourselves
    before the Runner (which then skips its own initialisation, honouring
    ``env_cfg.dist_cfg.timeout``) and ask for the wrapper the Runner would build
    (``broadcast_buffers=False``, ``find_unused_parameters`` from the config) with
    ``device_ids=None``. With CUDA present nothing changes.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
            if var not in os.environ:
                raise RuntimeError(f'--launcher pytorch needs the environment variable {var}; '
                                   'start the script with torchrun')
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
        kwargs = {} if timeout is None else dict(timeout=timedelta(seconds=timeout))
        dist.init_process_group(backend='gloo', **kwargs)
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def teardown_distributed() -> None:
    """Leave the process group cleanly once the run is over.

    MMEngine never destroys it; a gloo group still alive at interpreter exit can abort the
    process ("terminate called without an active exception", SIGABRT) after a finished run.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
