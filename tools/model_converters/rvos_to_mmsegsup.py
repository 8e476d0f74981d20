"""Convert a published RVOS folder (encoder.pt, decoder.pt, args.pkl) to an mmsegsup model.

    python tools/model_converters/rvos_to_mmsegsup.py PUBLISHED_FOLDER OUT \
        [--dataset {youtube-vos,davis-2017}] [--data-root DATA_ROOT] [--maxseqlen T]

writes OUT/config.py and OUT/model.pth (an mmengine checkpoint), ready for

    python tools/test.py OUT/config.py OUT/model.pth
    python tools/demo/video_demo.py FRAMES_DIR OUT/config.py OUT/model.pth --first-mask 00000.png

The config's runtime, test data and evaluator are read from configs/_base_ when converting (so
they follow the thesis configs), at the original's eval resolution: youtube-vos (default; the
*-youtubevos models) is YouTube-VOS valid at 256x448, written as the server's submission;
davis-2017 (the *-davis models) is DAVIS-2017 val at 240x427, scored with the semi-supervised
J&F. --data-root (default data/youtube-vos/ or data/DAVIS/) moves dataset and evaluator
together. The demo feeds the frames at their own size (no Resize).
"""
import argparse
import sys
from typing import List, Optional

from mmengine.config import Config

from mmsegsup.formats.errors import FormatError
from mmsegsup.models.converters import config_path, convert_rvos, write_converted
from mmsegsup.utils.config_steps import find_steps

# dataset -> (base config, which of its loader / evaluator pairs, Resize scale (w, h)).
# imatge-upc/rvos src/eval_previous_mask.py:46 inputRes=(240,427) for davis2017 and :55
# (256, 448) for youtube (first-frame masks resized alike, :355 / :362); the splits are
# scripts/eval_one_shot_davis.sh's -eval_split=val (the base's whole-video J&F pair; its
# val_dataloader holds the training-loss clips) and eval_one_shot_youtube.sh's
# -eval_split=test, the YouTube-VOS valid folder (eval_previous_mask.py:354).
DATASETS = {
    'youtube-vos': ('_base_/datasets/youtube_vos.py', 'test', (448, 256)),
    'davis-2017': ('_base_/datasets/davis_2017.py', 'video_val', (427, 240)),
}
RUNTIME = '_base_/vos_runtime.py'
SCHEDULE = '_base_/schedules/adam_rvos_20e-gt_20e-pred.py'  # the RVOS configs' test loop


def test_parts(dataset: str = 'youtube-vos', data_root: Optional[str] = None) -> dict:
    """The runtime, test_dataloader, test_evaluator and test_cfg of the converted config.

    Read from configs/_base_ (so a converted config follows the thesis configs) with the
    original's eval resolution on the pipeline's Resize; ``data_root`` (None: the base's)
    moves the dataset and the evaluator together.
    """
    base, stage, scale = DATASETS[dataset]
    data = Config.fromfile(config_path(base))
    loader, evaluator = data[f'{stage}_dataloader'], data[f'{stage}_evaluator']
    if data_root is not None:
        loader.dataset.data_root = data_root
        evaluator['davis_root' if 'davis_root' in evaluator else 'data_root'] = data_root
    resizes = find_steps(loader.dataset, 'Resize')
    if len(resizes) != 1:  # a changed base must not silently lose the eval resolution
        raise RuntimeError(f'{base}: expected one Resize in the {stage} pipeline, found '
                           f'{len(resizes)}')
    resizes[0].update(scale=scale, keep_ratio=False)
    runtime = Config.fromfile(config_path(RUNTIME)).to_dict()
    test_cfg = Config.fromfile(config_path(SCHEDULE)).test_cfg
    return dict(runtime, test_dataloader=loader.to_dict(), test_evaluator=evaluator.to_dict(),
                test_cfg=test_cfg.to_dict())


def main(argv: Optional[List[str]] = None) -> int:
    """CLI entry point (callable in-process by tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('folder', help='published model folder')
    parser.add_argument('out', help='output folder for config.py and model.pth')
    parser.add_argument('--dataset', choices=list(DATASETS), default='youtube-vos',
                        help='test set of the config (default: youtube-vos, for the '
                        '*-youtubevos models; davis-2017 for the *-davis ones)')
    parser.add_argument('--data-root',
                        help="the dataset's root (default: the base config's, data/youtube-vos/ "
                        'or data/DAVIS/)')
    parser.add_argument('--maxseqlen', type=int, default=None,
                        help="steps per frame (eval scripts' -maxseqlen; default: the "
                        "training value in args.pkl, the original's default 10)")
    args = parser.parse_args(argv)
    if args.maxseqlen is not None and args.maxseqlen < 1:
        parser.error(f'--maxseqlen must be >= 1, got {args.maxseqlen}')
    try:
        model_cfg, state_dict = convert_rvos(args.folder, args.maxseqlen)
    except (FormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    write_converted(args.out, model_cfg, state_dict, args.folder, 'rvos_to_mmsegsup',
                    ('object', ), **test_parts(args.dataset, args.data_root))
    print(f'wrote {args.out}/config.py and {args.out}/model.pth ({args.dataset} test set)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
