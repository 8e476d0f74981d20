"""Score an unlabeled pool with an annotation network that predicts its masks' IoU
(mask-guided active learning, thesis 5.3): per image the mean predicted IoU, and with
--oracle the mean true IoU against the pool's annotations and the branch's MAE.

    python -m mmsegsup.cli.al_score CONFIG CKPT --out scores.json [--oracle] [--mc-passes 5]

The pool is the config's ``al_pool_dataset`` (else its test dataset; override keys with
--cfg-options, e.g. al_pool_dataset.ann_file=pool.json). Output: {"records": [...],
"summary": {...}}, written atomically. ``tools/al_score.py`` calls :func:`main`.
"""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.registry import DATASETS
from mmengine.runner import Runner

from ..active_learning import iou_mae, score_pool
from ..utils.io import dump_json_atomic
from .args import add_cfg_options, load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Score a pool by predicted mask IoU')
    parser.add_argument('config', help='annotation network config (with an IoU branch)')
    parser.add_argument('checkpoint', help='its trained weights')
    parser.add_argument('--out', required=True, help='scores json to write')
    parser.add_argument('--oracle', action='store_true',
                        help='also the true IoU against the pool annotations (ann_file)')
    parser.add_argument('--mc-passes', type=int, default=0,
                        help='MC-dropout passes (>= 2; model needs encoder_dropout)')
    parser.add_argument('--seed', type=int, default=0, help='seeds the MC-dropout passes')
    parser.add_argument('--work-dir', help='logs of this run (default beside --out)')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.work_dir = args.work_dir or osp.join(osp.dirname(osp.abspath(args.out)), 'score_logs')
    cfg.load_from = None
    cfg.resume = False
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(args.checkpoint, map_location='cpu')
    dataset_cfg = cfg.get('al_pool_dataset') or cfg.test_dataloader.dataset
    dataset = DATASETS.build(dataset_cfg)
    records = score_pool(runner.model, dataset, dataset.ann_file if args.oracle else None,
                         mc_passes=args.mc_passes, seed=args.seed)
    summary = dict(num_images=len(records), **iou_mae(records))
    dump_json_atomic(dict(records=records, summary=summary), args.out)
    print(f'\nscored {len(records)} images: {args.out}')
    for key, value in summary.items():
        print(f'{key}: {value}')


if __name__ == '__main__':
    main()
