"""Pseudo-label a split with a trained annotation network (BASIS, thesis 4.4).

    python -m mmsegsup.cli.pseudo_label CONFIG CKPT --out-dir work_dirs/pseudo [--score-thr 0.3]
    torchrun --nproc_per_node 2 -m mmsegsup.cli.pseudo_label CONFIG CKPT --out-dir D \
        --launcher pytorch

The split is the config's ``pseudo_label_dataset`` (else its test dataset; override keys with
--cfg-options). Instance models (mmdet scope) write ``pseudo_instances.json`` (COCO), semantic
ones (mmseg scope) PNG label maps + ``pseudo_list.txt``. Rerunning after an interruption
finishes the remaining images only. ``tools/pseudo_label.py`` calls :func:`main`.
"""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.registry import DATASETS
from mmengine.runner import Runner

from ..basis import TASKS, pseudo_label
from ..utils import setup_cpu_distributed, teardown_distributed
from .args import add_cfg_options, load_config, parse_with_launcher


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Pseudo-label a split with a trained model')
    parser.add_argument('config', help='the annotation network config')
    parser.add_argument('checkpoint', help='its trained weights')
    parser.add_argument('--out-dir', required=True, help='where the pseudo-labels go')
    parser.add_argument('--task', choices=TASKS,
                        help='default: semantic for mmseg configs, instance otherwise')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='drop instances scored lower (instance task)')
    parser.add_argument('--work-dir', help='logs of this run (default <out-dir>/logs)')
    add_cfg_options(parser, 'pseudo_label_dataset.num_images=50')
    return parse_with_launcher(parser, argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.work_dir = args.work_dir or osp.join(args.out_dir, 'logs')
    cfg.load_from = None
    cfg.resume = False
    setup_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(args.checkpoint, map_location='cpu')
    dataset_cfg = cfg.get('pseudo_label_dataset') or cfg.test_dataloader.dataset
    dataset = DATASETS.build(dataset_cfg)
    semantic = cfg.get('default_scope') in ('mmseg', 'mmsegsup_seg')
    task = args.task or ('semantic' if semantic else 'instance')
    path = pseudo_label(runner.model, dataset, args.out_dir, task=task,
                        score_thr=args.score_thr)
    if path is not None:
        print(f'\npseudo-labels of {len(dataset)} images: {path}')
    teardown_distributed()


if __name__ == '__main__':
    main()
