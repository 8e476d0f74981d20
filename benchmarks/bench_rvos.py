"""RVOS inference speed and memory (run by hand; results go to benchmarks/README.md).

    .venv/bin/python benchmarks/bench_rvos.py [--device cpu] [--frames 5]

Rows: ms/frame of one-shot RVOS-ST with a ResNet-101 encoder at 256x448 for 1, 3 and 5 objects:
our variant, the thesis-exact model a converted published checkpoint builds
(``rvos_model_cfg``: 4 levels, k x k skips + BN, all ``maxseqlen`` = 10 steps per frame) and
the bare encoder, side by side in one run; then the peak resident memory of a whole 20-frame vs 200-frame video (frames fed lazily, each in
a fresh process), which must not grow with the video length.
"""
import argparse
import resource
import subprocess
import sys
import time
from itertools import repeat

import torch
from mmsegsup.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.structures import InstanceData

import mmsegsup  # noqa: F401
from mmsegsup.models.vos import VOSInferenceCore

CONFIG = 'configs/rvos/rvos-st_r18-c16_shapes-videos-64x64_oneshot_cpu.py'
H, W = 256, 448


def build_r101(device: str):
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.update(depth=101, base_channels=64, norm_eval=True)
    cfg.model.head.update(in_channels=[256, 512, 1024, 2048])
    cfg.model.head.decoder.update(hidden_channels=(128, 64, 32))
    model = MODELS.build(cfg.model).to(device).eval()
    model.init_weights()
    return model


def build_exact(device: str):
    """The model ``rvos_to_mmsegsup.py`` builds for the published one-shot RVOS-ST (R101,
    hidden 128, k 3, maxseqlen 10: imatge-upc/rvos args.py defaults)."""
    from argparse import Namespace

    from mmsegsup.models.converters import rvos_model_cfg
    args = Namespace(base_model='resnet101', hidden_size=128, kernel_size=3, maxseqlen=10)
    model = MODELS.build(rvos_model_cfg(args, one_shot=True)).to(device).eval()
    model.init_weights()
    return model


def encoder_only(model, num_frames: int, device: str) -> float:
    """Seconds per frame of the backbone alone on the same frames."""
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range(num_frames):
            model.backbone(torch.randn(1, 3, H, W, generator=gen).to(device))
    return (time.perf_counter() - start) / num_frames


def first_frame(num_objects: int) -> DetDataSample:
    masks = torch.zeros((num_objects, H, W), dtype=torch.uint8)
    for i in range(num_objects):
        masks[i, 40 + 30 * i:90 + 30 * i, 50 + 60 * i:120 + 60 * i] = 1
    sample = DetDataSample(metainfo=dict(batch_input_shape=(H, W), img_shape=(H, W),
                                         ori_shape=(H, W)))
    sample.gt_instances = InstanceData(masks=BitmapMasks(masks.numpy(), H, W),
                                       instances_ids=torch.arange(1, num_objects + 1))
    return sample


def run_video(model, num_frames: int, num_objects: int, device: str) -> float:
    """Seconds per frame over a lazily generated video."""
    gen = torch.Generator().manual_seed(0)

    def frames():
        for _ in range(num_frames):
            yield torch.randn(1, 3, H, W, generator=gen).to(device)

    start = time.perf_counter()
    with torch.no_grad():
        for _ in VOSInferenceCore(model).run(frames(), repeat(first_frame(num_objects))):
            pass
    return (time.perf_counter() - start) / num_frames


def peak_rss_mb(num_frames: int) -> float:
    """Peak RSS (MB) of a fresh process that runs a ``num_frames`` video with 3 objects."""
    out = subprocess.run([sys.executable, __file__, '--memory-child', str(num_frames)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--frames', type=int, default=5, help='frames timed per row')
    parser.add_argument('--memory-child', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    register_all_modules()
    torch.manual_seed(0)
    if args.memory_child:
        model = build_r101('cpu')
        run_video(model, args.memory_child, 3, 'cpu')
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    models = dict(ours=build_r101(args.device), exact=build_exact(args.device))
    for model in models.values():
        run_video(model, 2, 1, args.device)  # warm-up
    print(f'| measurement | value | (device {args.device}, torch threads '
          f'{torch.get_num_threads()}) |')
    print('|---|---|---|')
    bare = 1000 * encoder_only(models['ours'], args.frames, args.device)
    print(f'| bare ResNet-101 encoder 256x448 | {bare:.0f} ms/frame | 1.00 |')
    for n in (1, 3, 5):
        for name, label in (('ours', 'mmsegsup variant'), ('exact', 'thesis-exact (converted)')):
            ms = 1000 * run_video(models[name], args.frames, n, args.device)
            print(f'| RVOS-ST R101 256x448 one-shot, {label}, {n} object(s) | {ms:.0f} ms/frame '
                  f'| {ms / bare:.2f} x encoder |')
    short, long = peak_rss_mb(20), peak_rss_mb(200)
    print(f'| peak memory, 20-frame video (3 objects) | {short:.0f} MB | |')
    print(f'| peak memory, 200-frame video (3 objects) | {long:.0f} MB | '
          f'ratio {long / short:.2f} |')


if __name__ == '__main__':
    main()
