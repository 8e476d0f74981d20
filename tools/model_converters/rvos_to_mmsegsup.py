"""Convert a published RVOS folder (encoder.pt, decoder.pt, args.pkl) to an mmsegsup model.

    python tools/model_converters/rvos_to_mmsegsup.py PUBLISHED_FOLDER OUT

writes OUT/config.py and OUT/model.pth (an mmengine checkpoint).
"""
import argparse
import sys
from typing import List, Optional

from mmsegsup.models.converters import convert_rvos, write_converted
from mmsegsup.utils import DatasetFormatError


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
    write_converted(args.out, model_cfg, state_dict, args.folder, 'rvos_to_mmsegsup',
                    ('object', ), test_dataloader=TEST_DATALOADER)
    print(f'wrote {args.out}/config.py and {args.out}/model.pth')
    return 0


if __name__ == '__main__':
    sys.exit(main())
