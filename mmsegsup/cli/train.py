"""Train a model from a config (same flags as mmdetection's tools/train.py).

    python -m mmsegsup.cli.train configs/rsis/rsis_r18-c16_shapes-64x64_cpu.py --work-dir W
    torchrun --nproc_per_node 2 -m mmsegsup.cli.train CONFIG --launcher pytorch   # DDP

``tools/train.py`` (a checkout) and ``mim train mmsegsup CONFIG`` (an installed package's
``.mim/tools/train.py``) call :func:`main`.
"""
import argparse
from typing import List, Optional

from mmengine.config import Config
from mmengine.device import get_device
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..utils import setup_cpu_distributed, teardown_distributed
from .args import add_cfg_options, load_config, parse_with_launcher, set_work_dir


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the LR by batch')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from a checkpoint, or from the latest in the work dir')
    add_cfg_options(parser, 'train_cfg.max_iters=100')
    return parse_with_launcher(parser, argv)


def build_cfg(args: argparse.Namespace) -> Config:
    """Load the config and apply the command line, as mmdet's train.py does."""
    cfg = load_config(args)
    set_work_dir(cfg, args)
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
