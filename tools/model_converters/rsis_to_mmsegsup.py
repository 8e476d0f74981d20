"""Convert a published RSIS folder (encoder.pt, decoder.pt, args.pkl) to an mmsegsup model.

    python tools/model_converters/rsis_to_mmsegsup.py PUBLISHED_FOLDER OUT \
        [--maxseqlen T] [--stop-th 0.5] [--mask-th 0.5] [--min-size 0.001]

writes OUT/config.py and OUT/model.pth (an mmengine checkpoint). The options are imatge-upc/rsis
eval.py's (args.py defaults); the config's test_cfg applies eval.py's selection rule with them,
and its test_dataloader is Pascal VOC val resized to imsize x imsize (eval_pascal.sh's --resize).
"""
import argparse
import sys
from typing import List, Optional

from mmsegsup.formats.errors import FormatError
from mmsegsup.models.converters import convert_rsis, rsis_classes, write_converted


def test_parts(imsize: int, classes) -> dict:
    """test_dataloader / evaluator / loop of the converted config (VOC val as COCO json)."""
    ann = 'voc_sbd/annotations/instances_val.json'
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(imsize, imsize), keep_ratio=False),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
    return dict(
        test_dataloader=dict(
            batch_size=2, num_workers=2, persistent_workers=True, drop_last=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='CheckedCocoDataset', data_root='data/', ann_file=ann,
                         data_prefix=dict(img='VOCdevkit/VOC2012/JPEGImages/'),
                         metainfo=dict(classes=tuple(classes)), test_mode=True,
                         pipeline=pipeline)),
        test_evaluator=dict(type='CocoMetric', ann_file='data/' + ann, metric=['segm']),
        test_cfg=dict(type='TestLoop'))


def main(argv: Optional[List[str]] = None) -> int:
    """CLI entry point (callable in-process by tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('folder', help='published model folder')
    parser.add_argument('out', help='output folder for config.py and model.pth')
    parser.add_argument('--maxseqlen', type=int, default=None,
                        help="recurrent steps (eval.py's -maxseqlen; default: args.pkl's)")
    parser.add_argument('--stop-th', type=float, default=0.5, help='keep steps with stop >= this')
    parser.add_argument('--mask-th', type=float, default=0.5, help='mask pixels > this')
    parser.add_argument('--min-size', type=float, default=0.001,
                        help='drop masks under this fraction of the image area')
    args = parser.parse_args(argv)
    try:
        model_cfg, state_dict, train_args = convert_rsis(
            args.folder, maxseqlen=args.maxseqlen, stop_thr=args.stop_th,
            mask_thr=args.mask_th, min_size=args.min_size)
    except (FormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    classes = rsis_classes(train_args)
    write_converted(args.out, model_cfg, state_dict, args.folder, 'rsis_to_mmsegsup', classes,
                    **test_parts(int(getattr(train_args, 'imsize', 256)), classes))
    print(f'wrote {args.out}/config.py and {args.out}/model.pth')
    return 0


if __name__ == '__main__':
    sys.exit(main())
