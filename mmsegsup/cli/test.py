"""Test (evaluate) a checkpoint (same flags as mmdetection's tools/test.py).

    python -m mmsegsup.cli.test CONFIG CHECKPOINT [--out results.pkl] [--show-dir vis]

``tools/test.py`` (a checkout) and ``mim test mmsegsup CONFIG --checkpoint CKPT`` (an installed
package's ``.mim/tools/test.py``) call :func:`main`.
"""
import argparse
from typing import List, Optional

from mmengine.config import Config
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from ..utils import setup_cpu_distributed, teardown_distributed
from .args import add_cfg_options, load_config, parse_with_launcher, set_work_dir


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the evaluation metrics')
    parser.add_argument('--out', help='dump predictions to a pickle file (.pkl/.pickle)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='save painted images here (inside the work dir)')
    parser.add_argument('--wait-time', type=float, default=2, help='interval of --show (s)')
    add_cfg_options(parser)
    return parse_with_launcher(parser, argv)


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Turn on the visualisation hook for --show / --show-dir."""
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise RuntimeError('--show/--show-dir need default_hooks.visualization in the config')
    hooks.visualization.draw = True
    if args.show:
        hooks.visualization.show = True
        hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        if 'Seg' in hooks.visualization.type:  # mmseg's hook draws into the visualizer's dir
            cfg.visualizer.save_dir = args.show_dir
        else:
            hooks.visualization.test_out_dir = args.show_dir


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    set_work_dir(cfg, args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    setup_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must end with .pkl or .pickle, got {args.out}')
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()
    teardown_distributed()


if __name__ == '__main__':
    main()
