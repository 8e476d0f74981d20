"""Training reference cases (issue 26): one npz layout for every system, and the comparisons.

The generator scripts under ``tests/data/original_refs/<system>/generate/`` run the original
training code outside the project twice, in float64 (the reference: ``torch.set_default_dtype``
and the modules in double) and in float32 (as it trains), and write with ``save_case`` one npz
per case:

- ``in/<name>``: the inputs the original iteration was fed (images, targets, ...);
- ``loss<i>/<term>``: the loss terms of iteration ``i`` (1, 2), float64 run;
- ``grad1/<key>``: the gradient of every parameter after iteration 1's backward (float64 run,
  stored as float32); for a key in ``stats_only`` (a large ResNet tensor)
  ``gstat1/<key>`` = :func:`tensor_stats` of it instead (and the full gradient too for the few
  keys in ``full_keys``);
- ``w<i>/<key>``: every state_dict tensor (parameters and buffers) after optimizer step ``i``;
  for ``stats_only`` keys ``dstat<i>/<key>`` = ``tensor_stats(after - before)`` (the update,
  whose size is what a small learning rate makes fine), plus the full tensor for
  ``full_keys``;
- ``noise/<entry>``: for each entry above, how far the float32 run is from the float64 one
  (max absolute difference for tensors and losses, :func:`stats_error` for fingerprints).

Why the float32 noise: a ResNet in training mode on a small batch (BatchNorm statistics over a
few elements) amplifies float32 rounding on the way back, up to a few percent of the first
layers' gradients (running the same float32 step with 1 or 2 threads moves conv1's gradient
by 2 %). A comparison in float32 can only ask for that much, so each tolerance is the larger
of the fixed bound and ``NOISE_FACTOR`` times the original's own float32 deviation.

Keys are the original code's own state_dict keys with a module prefix (``encoder.``,
``decoder.`` for RVOS / RSIS; ``model.``, ``bert.`` for RefVOS). This file imports nothing of
the project, so a generator in a scratch environment can import it by path.
"""
from typing import Dict, Iterable, List, Mapping, Optional

import numpy as np
import torch

STATS = ('sum', 'l1', 'l2', 'maxabs')
# the magnitude each statistic is compared against: the sum of a tensor of mixed signs can
# cancel, so its error is measured against the L1 mass
STAT_SCALE = (1, 1, 2, 3)
NOISE_FACTOR = 4.0
Tensors = Mapping[str, torch.Tensor]


def tensor_stats(x) -> np.ndarray:
    """``[sum, sum |x|, L2 norm, max |x|]`` in float64: a fingerprint of a tensor too large to
    store."""
    a = np.asarray(x.detach().cpu().double().numpy() if torch.is_tensor(x) else x, np.float64)
    return np.array([a.sum(), np.abs(a).sum(), np.sqrt((a * a).sum()),
                     np.abs(a).max() if a.size else 0.0])


def stats_error(mine: np.ndarray, ref: np.ndarray) -> float:
    """The largest error of a fingerprint, each statistic relative to its scale (above)."""
    return float(max(abs(mine[i] - ref[i]) / max(ref[j], 1e-30)
                     for i, j in enumerate(STAT_SCALE)))


def _entries(losses: Iterable[Mapping[str, float]], grads: Tensors, initial: Tensors,
             after: Iterable[Tensors], stats_only: set, full_keys: set) -> Dict[str, object]:
    """The case's entries of one run: tensors (float64 numpy) and fingerprints."""
    out: Dict[str, object] = {}
    for i, terms in enumerate(losses, 1):
        out.update({f'loss{i}/{k}': np.float64(v) for k, v in terms.items()})
    for k, g in grads.items():
        if k in stats_only:
            out[f'gstat1/{k}'] = tensor_stats(g)
        if k not in stats_only or k in full_keys:
            out[f'grad1/{k}'] = g.detach().cpu().double().numpy()
    for i, sd in enumerate(after, 1):
        for k, v in sd.items():
            if k in stats_only:
                out[f'dstat{i}/{k}'] = tensor_stats(v.double() - initial[k].double())
            if k not in stats_only or k in full_keys:
                out[f'w{i}/{k}'] = v.detach().cpu().numpy()
    return out


def save_case(path: str, inputs: Mapping[str, np.ndarray], reference: dict, float32: dict,
              stats_only: Iterable[str] = (), full_keys: Iterable[str] = ()) -> None:
    """Write a case. ``reference`` (float64 run) and ``float32`` (float32 run) each hold
    ``losses`` (per iteration ``{term: value}``), ``grads`` (iteration 1), ``initial`` and
    ``after`` (the state_dicts after steps 1, 2, ...)."""
    keys = dict(stats_only=set(stats_only), full_keys=set(full_keys))
    ref, f32 = _entries(**reference, **keys), _entries(**float32, **keys)
    assert set(ref) == set(f32), 'the two runs differ in their entries'
    out: Dict[str, np.ndarray] = {f'in/{k}': np.asarray(v) for k, v in inputs.items()}
    for name, value in ref.items():
        kind = name.split('/', 1)[0]
        if kind.startswith(('gstat', 'dstat')):
            out[f'noise/{name}'] = np.float64(stats_error(f32[name], value))
            out[name] = value
            continue
        a, b = np.asarray(value), np.asarray(f32[name])
        exact = a.dtype.kind in 'iub'
        out[f'noise/{name}'] = np.float64(
            0 if exact or not a.size else np.abs(a.astype(np.float64) - b).max())
        out[name] = a if exact or kind.startswith('loss') else a.astype(np.float32)
    np.savez_compressed(path, **out)


def case_keys(data, kind: str) -> Dict[str, str]:
    """``{key: npz name}`` of one kind (``grad1``, ``gstat1``, ``w2``, ``dstat1``, ...)."""
    return {n.split('/', 1)[1]: n for n in data.files if n.split('/', 1)[0] == kind}


def noise(data, name: str, use_noise: bool = True) -> float:
    """``NOISE_FACTOR`` x the original's float32 deviation of an entry (0 without one, or
    when a float64 comparison asks for none)."""
    key = f'noise/{name}'
    return NOISE_FACTOR * float(data[key]) if use_noise and key in data.files else 0.0


class GradRecorder:
    """Copies every parameter's gradient when backward has accumulated it, so a test reads the
    gradients of a ``train_step`` whose optimizer wrapper zeroes them afterwards."""

    def __init__(self, named: Mapping[str, torch.nn.Parameter]) -> None:
        self.grads: Dict[str, torch.Tensor] = {}
        self._handles = [p.register_post_accumulate_grad_hook(self._hook(n))
                         for n, p in named.items() if p.requires_grad]

    def _hook(self, name: str):
        def hook(p: torch.Tensor) -> None:
            self.grads[name] = p.grad.detach().clone()
        return hook

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


def assert_losses(ours: Mapping[str, float], data, it: int, rel: float = 1e-5,
                  names: Optional[Mapping[str, str]] = None, use_noise: bool = True) -> None:
    """Every ``loss<it>/<term>`` of the case equals ours (``names``: case term -> our name);
    ``use_noise``: raise the bound to the original's float32 spread (a float32 run)."""
    ref = case_keys(data, f'loss{it}')
    assert ref, f'the case has no loss{it}/ terms'
    for term, npz in ref.items():
        mine = (names or {}).get(term, term)
        assert mine in ours, f'iteration {it}: no loss term {mine!r} among {sorted(ours)}'
        want = float(data[npz])
        tol = max(rel * abs(want), noise(data, npz, use_noise))
        assert abs(float(ours[mine]) - want) <= tol, (
            f'iteration {it}, loss {term}: ours {float(ours[mine])!r}, original {want!r}')


def _failures(checks: List[tuple]) -> str:
    """One message for all the tensors that failed: ``(name, error, tolerance, detail)``."""
    bad = [c for c in checks if not c[1] <= c[2]]
    return '\n'.join(f'{n}: error {e:.3g} > tolerance {t:.3g} {d}' for n, e, t, d in bad)


def assert_grads(ours: Tensors, data, rel: float = 1e-4, stat_rel: float = 1e-3,
                 atol: float = 1e-10, use_noise: bool = True) -> None:
    """Each full gradient within ``rel`` of its tensor's largest magnitude; each fingerprinted
    one's statistics within ``stat_rel`` (:func:`stats_error`); either bound raised to the
    original's float32 noise (module docstring). ``atol`` is the floor for gradients that are
    zero but for rounding (a conv bias before a training-mode BatchNorm: ~1e-14)."""
    full, stats = case_keys(data, 'grad1'), case_keys(data, 'gstat1')
    missing = sorted((set(full) | set(stats)) - set(ours))
    assert not missing, f'no gradient of ours for {missing[:5]} ({len(missing)} keys)'
    checks = []
    for k, npz in full.items():
        ref = data[npz]
        err = float(np.abs(ours[k].cpu().double().numpy() - ref).max()) if ref.size else 0.0
        checks.append((f'gradient of {k}', err,
                       max(rel * float(np.abs(ref).max()), noise(data, npz, use_noise)) + atol,
                       ''))
    for k, npz in stats.items():
        ref, mine = data[npz], tensor_stats(ours[k])
        err = 0.0 if ref[1] <= atol and mine[1] <= atol else stats_error(mine, ref)
        checks.append((f'gradient of {k} {STATS}', err,
                       max(stat_rel, noise(data, npz, use_noise)),
                       f'ours {mine} original {ref}'))
    msg = _failures(checks)
    assert not msg, msg
    extra = sorted(k for k, g in ours.items() if k not in full and k not in stats
                   and g.abs().max() > 0)
    assert not extra, f'ours has nonzero gradients the original does not: {extra[:5]}'


def assert_weights(ours: Tensors, initial: Tensors, data, it: int, atol: float = 1e-5,
                   delta_rel: float = 1e-2, use_noise: bool = True, rtol: float = 0.0) -> None:
    """State after step ``it``: full tensors within ``atol + rtol * |reference|`` (``rtol``:
    the float32 storage of the reference, for large values such as running variances); fingerprinted ones by their update
    (``after - before``): its statistics within ``delta_rel`` (:func:`stats_error`), since an
    update of ~1e-6 on weights of ~1e-1 keeps only a few float32 digits; either bound raised to
    the original's float32 noise."""
    full, stats = case_keys(data, f'w{it}'), case_keys(data, f'dstat{it}')
    assert full or stats, f'the case has no w{it}/ or dstat{it}/ entries'
    missing = sorted((set(full) | set(stats)) - set(ours))
    assert not missing, f'step {it}: none of ours for {missing[:5]} ({len(missing)} keys)'
    checks = []
    for k, npz in full.items():
        ref, mine = data[npz], ours[k].detach().cpu().numpy()
        assert mine.shape == ref.shape, f'step {it}, {k}: shape {mine.shape} vs {ref.shape}'
        if ref.dtype.kind in 'iub':
            np.testing.assert_array_equal(mine, ref, err_msg=f'step {it}, {k}')
            continue
        excess = np.abs(mine.astype(np.float64) - ref) - rtol * np.abs(ref)
        err = float(excess.max()) if ref.size else 0.0
        checks.append((f'step {it}, {k}', err, max(atol, noise(data, npz, use_noise)), ''))
    for k, npz in stats.items():
        ref = data[npz]
        mine = tensor_stats(ours[k].double() - initial[k].double())
        err = 0.0 if ref[1] == 0 and mine[1] == 0 else stats_error(mine, ref)
        checks.append((f'step {it}, update of {k} {STATS}', err,
                       max(delta_rel, noise(data, npz, use_noise)),
                       f'ours {mine} original {ref}'))
    msg = _failures(checks)
    assert not msg, msg
