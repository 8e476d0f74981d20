"""Command-line flags the tools share, spelled as mmdetection's tools spell them, and how
they apply to a config."""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_cfg_options(parser: argparse.ArgumentParser, example: str = '') -> None:
    """``--cfg-options key=value ...`` (MMEngine's ``DictAction``) overriding config keys."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys' + (f', e.g. {example}' if example else ''))


def add_instance_model_args(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    """``CONFIG CHECKPOINT`` of an instance model and how its masks are predicted
    (``--weak-file``, ``--score-thr``, ``--device``): the tools that pre-fill annotators' tasks
    load the model alike. ``optional``: both positionals may be left out (masks given instead)."""
    nargs = '?' if optional else None
    parser.add_argument('config', nargs=nargs,
                        help='instance model config (RSIS / W-RSIS / IoU-W-RSIS)')
    parser.add_argument('checkpoint', nargs=nargs, help='its trained weights')
    parser.add_argument('--weak-file', help="a W-RSIS's weak labels of the images")
    parser.add_argument('--score-thr', type=float, default=0.0, help='drop weaker masks')
    parser.add_argument('--device', default='cpu', help='where the model runs')


def parse_with_launcher(parser: argparse.ArgumentParser,
                        argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Add ``--launcher`` / ``--local-rank`` and parse ``argv``; ``LOCAL_RANK`` is exported
    for launchers that pass the rank as a flag (``torch.distributed.launch``) only."""
    parser.add_argument('--launcher', choices=list(LAUNCHERS), default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """``args.config`` with ``--launcher`` (where the tool has one), then ``--cfg-options``."""
    cfg = Config.fromfile(args.config)
    if 'launcher' in args:
        cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def set_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    """``--work-dir``, else the config's, else ``work_dirs/<config name>`` (mmdet's rule)."""
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
