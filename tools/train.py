"""Train a model from a config (same flags as mmdetection's tools/train.py).

    python tools/train.py configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py --work-dir work_dirs/rsis
    torchrun --nproc_per_node 2 tools/train.py CONFIG --launcher pytorch   # DDP, CPU (gloo) or GPU
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmsegsup  # noqa: F401  (registers modules, allow-lists checkpoint globals)
from mmsegsup.utils import setup_cpu_distributed, teardown_distributed


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the LR by batch')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from a checkpoint, or from the latest in the work dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_cfg(args: argparse.Namespace) -> Config:
    """Load the config and apply the command line, as mmdet's train.py does."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if get_device() == 'cpu':
            raise SystemExit('--amp needs a GPU: MMEngine\'s AmpOptimWrapper supports CUDA/NPU/MLU '
                             'only; train in fp32 on the CPU (drop --amp)')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = build_cfg(args)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    teardown_distributed()


if __name__ == '__main__':
    main()
