"""``TorchvisionPolyLR`` (mmsegsup/engine/schedulers.py) against the torchvision reference's
``LambdaLR(lambda x: (1 - x / T) ** power)`` and against MMEngine's ``PolyLR``, which decays
over one step less. The RefVOS recipe's values over 30 epochs are checked in
tests/test_configs/test_refvos_recipe.py."""
from typing import List, Tuple

import numpy as np
import pytest
import torch
from mmengine.registry import PARAM_SCHEDULERS

from mmsegsup.engine import TorchvisionPolyLR

LR0 = 0.01


def _lrs(cfg: dict, steps: int) -> Tuple[object, List[float]]:
    """The scheduler built from ``cfg`` and the lr of each of ``steps`` iterations."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=LR0)
    scheduler = PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=optimizer))
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        scheduler.step()
    return scheduler, lrs


def _poly(kind: str, end: int, begin: int = 0, power: float = 0.9,
          eta_min: float = 0.0) -> dict:
    return dict(type=kind, power=power, eta_min=eta_min, begin=begin, end=end, by_epoch=False)


def test_values_are_torchvisions_lambda_lr():
    total = 12
    scheduler, ours = _lrs(_poly('TorchvisionPolyLR', total), total + 3)
    assert isinstance(scheduler, TorchvisionPolyLR) and scheduler.total_iters == total
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=LR0)
    reference = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda x: (1 - x / total) ** 0.9)
    torchvision = []
    for _ in range(total):
        torchvision.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        reference.step()
    np.testing.assert_allclose(ours[:total], torchvision, rtol=1e-10)
    np.testing.assert_allclose(ours[:total], [LR0 * (1 - t / total) ** 0.9 for t in range(total)],
                               rtol=1e-10)
    # The last step is at (1 / T) ** power of lr_0, not at eta_min; then the lr stays.
    assert ours[total - 1] == pytest.approx(LR0 * (1 / total) ** 0.9, rel=1e-10)
    assert ours[total:] == [ours[total - 1]] * 3


def test_mmengine_poly_lr_decays_over_one_step_less():
    total = 12
    _, ours = _lrs(_poly('TorchvisionPolyLR', total), total)
    _, mmengine = _lrs(_poly('PolyLR', total), total)
    np.testing.assert_allclose(mmengine, [LR0 * (1 - t / (total - 1)) ** 0.9
                                          for t in range(total)], rtol=1e-10, atol=1e-15)
    assert mmengine[0] == ours[0] == LR0 and mmengine[-1] == 0.0
    assert all(m < o for m, o in zip(mmengine[1:], ours[1:]))
    # The docstring's example: the second iteration of 210, with the RefVOS lr_0 of 0.01.
    _, ours = _lrs(_poly('TorchvisionPolyLR', 210), 2)
    _, mmengine = _lrs(_poly('PolyLR', 210), 2)
    assert (round(ours[1], 7), round(mmengine[1], 7)) == (0.0099571, 0.0099569)


def test_begin_and_eta_min():
    """From ``begin`` on, ``eta_min + (lr_0 - eta_min) * (1 - (t - begin) / (end - begin)) **
    power``; before it the optimizer's lr."""
    _, lrs = _lrs(_poly('TorchvisionPolyLR', begin=3, end=9, power=2.0, eta_min=0.001), 12)
    schedule = [0.001 + (LR0 - 0.001) * (1 - t / 6) ** 2.0 for t in range(6)]
    np.testing.assert_allclose(lrs, [LR0] * 3 + schedule + [schedule[-1]] * 3, rtol=1e-10)


def test_epochs_converted_to_iterations_by_the_runner(make_runner, toy):
    """``by_epoch=True, convert_to_iter_based=True`` over 3 epochs of 2 iterations: the
    runner builds a TorchvisionPolyLR stepped every iteration over T = 6."""
    record = toy['record'](lambda runner: runner.optim_wrapper.get_lr()['lr'][0])
    runner = make_runner(
        train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=3),
        val_dataloader=None, val_cfg=None, val_evaluator=None,
        default_hooks=dict(checkpoint=None),
        param_scheduler=dict(type='TorchvisionPolyLR', power=0.9, eta_min=0.0, begin=0, end=3,
                             by_epoch=True, convert_to_iter_based=True),
        custom_hooks=[record])
    runner.train()
    (scheduler, ) = runner.param_schedulers
    assert isinstance(scheduler, TorchvisionPolyLR) and not scheduler.by_epoch
    assert scheduler.total_iters == 6
    lrs = [record.values[key] for key in sorted(record.values)]
    np.testing.assert_allclose(lrs, [0.1 * (1 - t / 6) ** 0.9 for t in range(6)], rtol=1e-10)
