"""Convert a published RVOS folder (encoder.pt, decoder.pt, args.pkl) to an mmsegsup model.

    python tools/model_converters/rvos_to_mmsegsup.py PUBLISHED_FOLDER OUT

writes OUT/config.py and OUT/model.pth (an mmengine checkpoint).
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import torch
from mmengine.config import Config

from mmsegsup.models.converters import convert_rvos
from mmsegsup.utils import DatasetFormatError, write_text_atomic


# YouTube-VOS valid at the original's 256x448 (eval_previous_mask.py); edit for DAVIS (240x427).
TEST_DATALOADER = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='YouTubeVOSDataset', data_root='data/youtube-vos/', split='valid',
                 test_mode=True, pipeline=[
                     dict(type='VideoClipSample', num_frames=None),
                     dict(type='TransformBroadcaster', transforms=[
                         dict(type='LoadImageFromFile'),
                         dict(type='LoadVideoObjectAnnotations'),
                         dict(type='Resize', scale=(448, 256), keep_ratio=False)]),
                     dict(type='PackTrackInputs',
                          meta_keys=('video_name', 'frame_name', 'ann_path'))]))


def main(argv: Optional[List[str]] = None) -> int:
    """CLI entry point (callable in-process by tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('folder', help='published model folder')
    parser.add_argument('out', help='output folder for config.py and model.pth')
    args = parser.parse_args(argv)
    try:
        model_cfg, state_dict = convert_rvos(args.folder)
    except (DatasetFormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    cfg = Config(dict(default_scope='mmsegsup', model=model_cfg, test_dataloader=TEST_DATALOADER,
                      custom_imports=dict(imports=['mmsegsup'], allow_failed_imports=False)))
    write_text_atomic(cfg.pretty_text, osp.join(args.out, 'config.py'))
    tmp = osp.join(args.out, 'model.pth.tmp')
    torch.save(dict(state_dict=state_dict,
                    meta=dict(source=osp.abspath(args.folder), converter='rvos_to_mmsegsup',
                              dataset_meta=dict(classes=('object', )))),
               tmp)
    os.replace(tmp, osp.join(args.out, 'model.pth'))
    print(f'wrote {args.out}/config.py and {args.out}/model.pth')
    return 0


if __name__ == '__main__':
    sys.exit(main())
