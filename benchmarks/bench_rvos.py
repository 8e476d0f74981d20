"""RVOS inference speed and memory (run by hand; results go to benchmarks/README.md).

    .venv/bin/python benchmarks/bench_rvos.py [--device cpu] [--frames 5]

Rows (each the best of ``--repeats`` interleaved runs): ms/frame of one-shot RVOS-ST with a
ResNet-101 encoder at 256x448 for 1, 3 and 5 objects:
our variant, the thesis-exact model converted from a published-layout checkpoint (the weight
rule of tests/helpers/original_refs_utils.py, case ``rvos_oneshot_st_r101``: 4 levels, k x k
skips + BN, ``maxseqlen`` = 10) run as the original (all 10 steps per frame) and with the
video's object ids announced (steps up to the highest id only, same probabilities), the same
on onnxruntime (one frame graph exported with 10 steps; announced ids run its sub-graph of the
first n steps), and the bare torch encoder, side by side in one run; then (unless
``--no-memory``) the peak resident memory of a whole 20-frame vs 200-frame video (frames fed
lazily, each in a fresh process), which must not grow with the video length.
"""
import argparse
import os.path as osp
import resource
import subprocess
import sys
import tempfile
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


def build_converted(device: str, folder: str):
    """The published one-shot RVOS-ST (R101, hidden 128, k 3, maxseqlen 10: imatge-upc/rvos
    args.py defaults) with rule weights, converted by ``rvos_to_mmsegsup.py`` and loaded by
    ``init_model``."""
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    sys.path[:0] = [osp.join(root, 'tests', 'helpers'),
                    osp.join(root, 'tools', 'model_converters')]
    import rvos_to_mmsegsup
    from original_refs_utils import load_case, write_published

    from mmsegsup.apis import init_model
    published = write_published(osp.join(folder, 'published'),
                                load_case('rvos', 'rvos_oneshot_st_r101')[0])
    out = osp.join(folder, 'converted')
    assert rvos_to_mmsegsup.main([published, out]) == 0
    return init_model(osp.join(out, 'config.py'), osp.join(out, 'model.pth'), device=device)


OBJECT_COUNTS = (1, 3, 5)
# (model key, object ids announced, label)
ROWS = (('ours', False, 'mmsegsup variant, torch'),
        ('exact', False, 'thesis-exact (converted), all 10 steps as the original, torch'),
        ('exact', True, 'thesis-exact (converted), object ids announced, torch'),
        ('ort', False, 'thesis-exact (converted), all 10 steps, onnxruntime'),
        ('ort', True, 'thesis-exact (converted), object ids announced (sub-graph of n steps), '
                      'onnxruntime'))


def ort_model(model, folder: str):
    """The onnxruntime backend of ``model``'s 10-step frame graph, warmed up on every object
    count (announced ids cut a sub-graph per count on first use: not timed)."""
    from mmsegsup.apis.onnx_backend import ORTVideoModel
    from mmsegsup.apis.onnx_export import export_rvos_frame
    path = osp.join(folder, 'rvos.onnx')
    export_rvos_frame(model, path, num_slots=10, size=(H, W))
    ort = ORTVideoModel(path)
    run_video(ort, 1, 1, 'cpu')
    for n in OBJECT_COUNTS:
        run_video(ort, 1, n, 'cpu', announce=True)
    return ort


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


def run_video(model, num_frames: int, num_objects: int, device: str,
              announce: bool = False) -> float:
    """Seconds per frame over a lazily generated video (``announce``: its object ids are
    given to the core in advance)."""
    gen = torch.Generator().manual_seed(0)

    def frames():
        for _ in range(num_frames):
            yield torch.randn(1, 3, H, W, generator=gen).to(device)

    start = time.perf_counter()
    with torch.no_grad():
        ids = range(1, num_objects + 1) if announce else None
        for _ in VOSInferenceCore(model).run(frames(), repeat(first_frame(num_objects)), ids):
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
    parser.add_argument('--repeats', type=int, default=3, help='interleaved runs per row')
    parser.add_argument('--no-memory', action='store_true', help='skip the memory rows')
    parser.add_argument('--memory-child', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    register_all_modules()
    torch.manual_seed(0)
    if args.memory_child:
        model = build_r101('cpu')
        run_video(model, args.memory_child, 3, 'cpu')
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    tmp = tempfile.TemporaryDirectory()
    models = dict(ours=build_r101(args.device), exact=build_converted(args.device, tmp.name))
    for model in models.values():
        run_video(model, 2, 1, args.device)  # warm-up
    if args.device == 'cpu':  # onnxruntime (CPU)
        models['ort'] = ort_model(models['exact'], tmp.name)
    print(f'| measurement | value | (device {args.device}, torch threads '
          f'{torch.get_num_threads()}, best of {args.repeats} interleaved runs) |')
    print('|---|---|---|')
    rows = {('encoder', 0): lambda: encoder_only(models['exact'], args.frames, args.device)}
    for n in OBJECT_COUNTS:
        for name, announce, label in ROWS:
            if name in models:
                rows[(label, n)] = (lambda m=models[name], k=n, a=announce:
                                    run_video(m, args.frames, k, args.device, a))
    best = {key: fn() for key, fn in rows.items()}
    for _ in range(args.repeats - 1):  # interleaved: a busy spell slows every row alike
        for key, fn in rows.items():
            best[key] = min(best[key], fn())
    bare = 1000 * best.pop(('encoder', 0))
    print(f'| bare ResNet-101 encoder 256x448 (torch) | {bare:.0f} ms/frame | 1.00 |')
    for (label, n), sec in best.items():
        print(f'| RVOS-ST R101 256x448 one-shot, {label}, {n} object(s) | {1000 * sec:.0f} '
              f'ms/frame | {1000 * sec / bare:.2f} x encoder |')
    tmp.cleanup()
    if args.no_memory:
        return
    short, long = peak_rss_mb(20), peak_rss_mb(200)
    print(f'| peak memory, 20-frame video (3 objects) | {short:.0f} MB | |')
    print(f'| peak memory, 200-frame video (3 objects) | {long:.0f} MB | '
          f'ratio {long / short:.2f} |')


if __name__ == '__main__':
    main()
