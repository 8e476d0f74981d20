"""Run an instance model on an image or a folder and save PNGs with the instances drawn.

    python tools/demo/image_demo.py IMG_OR_DIR CONFIG CHECKPOINT --out-dir outputs/demo
"""
import argparse
import os
import os.path as osp
from typing import List, Optional

import mmcv
from mmengine.utils import ProgressBar

from mmsegsup.registry import VISUALIZERS

from mmsegsup.apis import inference_image, init_model

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


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('inputs', help='image file or folder of images')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('--out-dir', default='outputs/demo', help='where PNGs are written')
    parser.add_argument('--score-thr', type=float, default=0.3, help='hide weaker instances')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    args = parser.parse_args(argv)

    files = list_images(args.inputs)
    model = init_model(args.config, args.checkpoint, device=args.device)
    visualizer = VISUALIZERS.build(model.cfg.visualizer)
    visualizer.dataset_meta = model.dataset_meta
    os.makedirs(args.out_dir, exist_ok=True)
    bar = ProgressBar(len(files)) if len(files) > 1 else None
    for path in files:
        result = inference_image(model, path)
        img = mmcv.imread(path, channel_order='rgb')
        out_file = osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '.png')
        visualizer.add_datasample(osp.basename(path), img, data_sample=result, draw_gt=False,
                                  pred_score_thr=args.score_thr, out_file=out_file)
        if bar is not None:
            bar.update()
    print(f'\nwrote {len(files)} PNG file(s) to {args.out_dir}')


if __name__ == '__main__':
    main()
