"""Run an instance model on an image or a folder and save PNGs with the instances drawn.

    python tools/demo/image_demo.py IMG_OR_DIR CONFIG CHECKPOINT --out-dir outputs/demo \
        [--gt-ann instances.json] [--scale auto|N] [--backend onnxruntime [--onnx rsis.onnx]]

Each PNG shows the image enlarged (nearest) so that small images are readable, every instance
outlined and filled in its class colour with a small ``class score`` tag, and a legend; with
``--gt-ann`` (a COCO instance file that names the images) the ground truth is drawn to the
left of the prediction. ``--backend onnxruntime`` runs the network of the checkpoint's ONNX
export (``--onnx``, else exported now at the first image's input size).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import mmcv
from mmdet.visualization.palette import get_palette
from mmengine.utils import ProgressBar

from mmsegsup.apis import inference_image, init_model
from mmsegsup.apis.inference import preprocess_image
from mmsegsup.apis.instance_pictures import (CocoGroundTruth, draw_instance_panels,
                                             prediction_instances)
from mmsegsup.cli.export_onnx import add_backend_args, backend_from_args

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def list_images(path: str) -> List[str]:
    """One image, or every image of a folder (sorted); a clear error for anything else."""
    if osp.isfile(path):
        return [path]
    if osp.isdir(path):
        files = sorted(osp.join(path, f) for f in os.listdir(path)
                       if f.lower().endswith(IMAGE_EXTS))
        if not files:
            raise FileNotFoundError(f'no images ({", ".join(IMAGE_EXTS)}) in folder {path}')
        return files
    raise FileNotFoundError(f'input {path} is neither an image file nor a folder')


def scale_arg(text: str) -> Optional[int]:
    """``--scale``: ``auto`` (None) or a positive integer factor."""
    if text == 'auto':
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'expected auto or a positive integer, got {text!r}')
    return int(text)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('inputs', help='image file or folder of images')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('--out-dir', default='outputs/demo', help='where PNGs are written')
    parser.add_argument('--score-thr', type=float, default=0.3, help='hide weaker instances')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    parser.add_argument('--gt-ann', help='COCO instance json of the inputs: draw their ground '
                        'truth beside the prediction')
    parser.add_argument('--scale', type=scale_arg, default=None, metavar='auto|N',
                        help='enlarge the pictures N times (nearest); auto (default): the '
                        'smallest N that makes the longer side at least 256 px')
    add_backend_args(parser)
    args = parser.parse_args(argv)

    files = list_images(args.inputs)
    model = init_model(args.config, args.checkpoint, device=args.device)
    # a decoder pooling with the mask exports for one input size: the first image's
    backend = backend_from_args(args, model, tuple(preprocess_image(model, files[0])[
        'inputs'].shape[-2:]))
    classes = model.dataset_meta['classes']
    palette = get_palette(model.dataset_meta.get('palette', 'random'), len(classes))
    ground_truth = CocoGroundTruth(args.gt_ann, classes) if args.gt_ann else None
    os.makedirs(args.out_dir, exist_ok=True)
    bar = ProgressBar(len(files)) if len(files) > 1 else None
    for path in files:
        pred = prediction_instances(inference_image(model, path, backend),
                                    args.score_thr)
        panels = [(f'prediction: {len(pred)} (score \u2265 {args.score_thr:g})', pred)]
        if ground_truth is not None:
            gt = ground_truth(path)
            panels.insert(0, (f'ground truth: {len(gt)}', gt))
        img = mmcv.imread(path, channel_order='rgb')
        out_file = osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '.png')
        draw_instance_panels(img, panels, classes, palette, out_file, scale=args.scale)
        if bar is not None:
            bar.update()
    print(f'\nwrote {len(files)} PNG file(s) to {args.out_dir}')


if __name__ == '__main__':
    main()
