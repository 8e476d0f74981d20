"""RSIS speed table (run by hand; results go to benchmarks/README.md).

    .venv/bin/python benchmarks/bench_rsis.py [--device cpu] [--batch 4] [--iters 5]

Rows: training iterations/s and inference ms/image of RSIS with ResNet-101 at 256x256 (random
init), and the batched Hungarian matcher against a per-pair Python loop on the same inputs
(batch 8, 10 predictions x 10 targets, 64x64 masks), measured side by side in one run.
"""
import argparse
import time

import numpy as np
import torch
from mmsegsup.registry import MODELS, TASK_UTILS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules
from mmengine.config import Config
from scipy.optimize import linear_sum_assignment

import mmsegsup  # noqa: F401
from mmsegsup.models.losses import soft_iou


def timed(fn, repeats: int) -> float:
    """Median seconds of ``repeats`` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def bench_model(device: str, batch: int, iters: int, num_objects: int):
    cfg = Config.fromfile('configs/rsis/rsis_r101_voc-sbd_256x256.py')
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    packed = demo_mm_inputs(batch_size=batch, image_shapes=(3, 256, 256),
                            num_items=[num_objects] * batch, num_classes=20, with_mask=True)

    def train_step():
        model.train()
        data = model.data_preprocessor(packed, True)
        losses = model(**data, mode='loss')
        optim.zero_grad()
        sum(losses.values()).backward()
        optim.step()

    def infer():
        model.eval()
        with torch.no_grad():
            model(**model.data_preprocessor(packed, False), mode='predict')

    t_train = timed(train_step, iters)
    t_infer = timed(infer, iters)
    return 1.0 / t_train, 1000.0 * t_infer / batch


def bench_matcher(repeats: int):
    gen = torch.Generator().manual_seed(0)
    pred = torch.rand(8, 10, 64, 64, generator=gen)
    gts = [(torch.rand(10, 64, 64, generator=gen) > 0.5).float() for _ in range(8)]
    matcher = TASK_UTILS.build(dict(type='HungarianMaskMatcher'))

    def loop():
        out = []
        for b in range(8):
            cost = np.zeros((10, 10))
            for i in range(10):
                for j in range(10):
                    cost[i, j] = 1 - soft_iou(pred[b, i][None], gts[b][j][None]).item()
            out.append(linear_sum_assignment(cost))
        return out

    batched = matcher.match(pred, gts)
    for (r, c), (lr, lc) in zip(batched, loop()):
        assert r.tolist() == lr.tolist() and c.tolist() == lc.tolist(), 'matchers disagree'
    return timed(lambda: matcher.match(pred, gts), repeats), timed(loop, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--objects', type=int, default=3, help='objects per training image')
    args = parser.parse_args()
    register_all_modules()
    torch.manual_seed(0)
    t_batched, t_loop = bench_matcher(20)
    its, ms = bench_model(args.device, args.batch, args.iters, args.objects)
    print(f'| measurement | value | (device {args.device}, torch threads '
          f'{torch.get_num_threads()}) |')
    print('|---|---|---|')
    print(f'| RSIS R101 256x256 training, batch {args.batch} | {its:.3f} it/s | '
          f'{its * args.batch:.2f} img/s |')
    print(f'| RSIS R101 256x256 inference (10 steps) | {ms:.1f} ms/image | batch {args.batch} |')
    print(f'| matcher batched (8 x 10x10, 64x64) | {1000 * t_batched:.2f} ms | |')
    print(f'| matcher per-pair Python loop | {1000 * t_loop:.2f} ms | '
          f'ratio {t_loop / t_batched:.1f}x |')


if __name__ == '__main__':
    main()
