"""Make RVOS fixtures by running the original imatge-upc/rvos code (run OUTSIDE the project).

    python make_rvos_cases.py --src ORIGINAL_RVOS/src --out OUT_DIR [--cases NAME ...]
                              [--check EXISTING_FIXTURE ...]

``--src`` is the ``src/`` folder of a checkout of imatge-upc/rvos; nothing of it is copied here:
this script imports the original ``modules.model`` (``FeatureExtractor``, ``RSISMask``, ``RSIS``)
and ``test.py`` (``test_prev_mask``, ``test``) from that path and only does what the original's
eval scripts do around them (build from the arguments, load weights, chain the frames).

Environment: torch 2.x CPU, numpy, pillow, torchvision installed with ``--no-deps`` and its
``torchvision/_meta_registrations.py`` emptied. Shims, all from here: ``torchvision.models
.resnetNN(pretrained=True)`` is replaced by a constructor with ``weights=None`` (no download: the
weight rule overwrites every tensor) and ``args.use_gpu = False`` (the original's ``--cpu``).
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys

import numpy as np
import torch

# ---------------------------------------------------------------- the cases
# mode: 'one-shot' (RSISMask + test_prev_mask chained as eval_previous_mask.py) or 'zero-shot'
# (RSIS + test chained as eval.py). late: {object id: first frame}; objects not listed are
# present from frame 0.
CASES = {
    'rvos_oneshot_st_r34': dict(
        mode='one-shot', variant='ST', base_model='resnet34', hidden_size=128, kernel_size=3,
        maxseqlen=10, hw=(96, 168), frames=3, objects=2, late={}, seed=34),
    'rvos_oneshot_st_r50_davis_size': dict(
        mode='one-shot', variant='ST', base_model='resnet50', hidden_size=128, kernel_size=3,
        maxseqlen=10, hw=(240, 427), frames=3, objects=2, late={}, seed=50),
    'rvos_oneshot_st_r101_two_late': dict(
        mode='one-shot', variant='ST', base_model='resnet101', hidden_size=128, kernel_size=3,
        maxseqlen=10, hw=(72, 125), frames=5, objects=3, late={3: 1, 2: 3}, seed=101),
    'rvos_zeroshot_st_r34_maxseqlen5': dict(
        mode='zero-shot', variant='ST', base_model='resnet34', hidden_size=64, kernel_size=3,
        maxseqlen=5, hw=(80, 136), frames=3, objects=2, late={}, seed=5),
    'rvos_oneshot_t_r50_k1_late_object': dict(
        mode='one-shot', variant='T', base_model='resnet50', hidden_size=40, kernel_size=1,
        maxseqlen=4, hw=(72, 120), frames=4, objects=3, late={3: 2}, seed=1),
}


# ---------------------------------------------------------------- the weight rule
# The tests' own rule (tests/helpers/original_refs_utils.py: numpy + torch only), so that fixtures and
# tests cannot drift apart.
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), *[os.pardir] * 4, 'helpers'))
from original_refs_utils import rule_tensor  # noqa: E402


def rule_array(key, shape):
    """../README.md's rule: every tensor a function of its key and shape."""
    return rule_tensor(key, list(shape)).numpy()


def fill_by_rule(module):
    sd = module.state_dict()
    filled = {k: torch.from_numpy(rule_array(k, list(v.shape))) for k, v in sd.items()}
    module.load_state_dict(filled, strict=True)
    return {k: list(v.shape) for k, v in sd.items()}


# ---------------------------------------------------------------- the original code
def import_original(src):
    import torchvision.models as tvm
    for name in ('resnet34', 'resnet50', 'resnet101'):
        ctor = getattr(tvm, name)

        def no_download(pretrained=False, _ctor=ctor, **kw):  # shim: nothing is downloaded
            return _ctor(weights=None, **kw)
        setattr(tvm, name, no_download)
    sys.path.insert(0, src)  # model.py: `from utils.utils import get_skip_dims`
    from modules.model import RSIS, FeatureExtractor, RSISMask
    spec = importlib.util.spec_from_file_location('rvos_original_test', osp.join(src, 'test.py'))
    test_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_mod)  # (imported by path: `test` is also a stdlib package)
    return FeatureExtractor, RSISMask, RSIS, test_mod.test_prev_mask, test_mod.test


# ---------------------------------------------------------------- synthetic video
def make_video(spec):
    """Blocky background with a fine checker texture, one moving striped ellipse per object
    painted in id order (a higher id occludes a lower one, so the masks are exclusive, as from a
    palette PNG). No random pixel noise: the arrays stay small once compressed."""
    rng = np.random.default_rng(spec['seed'])
    h, w = spec['hw']
    nf, no = spec['frames'], spec['objects']
    first = {i: 0 for i in range(1, no + 1)}
    first.update(spec['late'])
    hidden = {int(i): set(ts) for i, ts in spec.get('hidden', {}).items()}  # id: frames away
    cells = rng.integers(30, 230, size=(4, 6, 3))
    ys = (np.arange(h) * 4 // h)[:, None]
    xs = (np.arange(w) * 6 // w)[None, :]
    background = cells[ys, xs].astype(np.float64)
    colors = rng.integers(40, 250, size=(no, 3))
    centre = rng.uniform([0.3 * h, 0.25 * w], [0.7 * h, 0.75 * w], size=(no, 2))
    speed = rng.uniform(-0.04, 0.04, size=(no, 2)) * np.array([h, w])
    radii = rng.uniform([0.12 * h, 0.1 * w], [0.25 * h, 0.2 * w], size=(no, 2))
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.zeros((nf, h, w, 3), np.uint8)
    masks = np.zeros((nf, no, h, w), np.uint8)
    for t in range(nf):
        img = background + 12.0 * (((yy // 3) + (xx // 3)) % 2)[..., None]
        label = np.zeros((h, w), np.int64)
        for i in range(1, no + 1):
            if t < first[i] or t in hidden.get(i, ()):
                continue
            cy, cx = centre[i - 1] + speed[i - 1] * t
            ry, rx = radii[i - 1]
            inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            label[inside] = i
            stripes = 16.0 * (((xx + 2 * yy + t) // 4) % 2)[..., None]
            img[inside] = (colors[i - 1] + stripes)[inside]
        frames[t] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        for i in range(1, no + 1):
            masks[t, i - 1] = label == i
    for i, f in first.items():
        shown = [t for t in range(f, nf) if t not in hidden.get(i, ())]
        assert masks[shown, i - 1].reshape(len(shown), -1).sum(1).min() > 0, f'object {i} hidden'
    return frames, masks, first


def to_input(frames_uint8):
    """ToTensor + ImageNet Normalize (eval_previous_mask.py:34-38), as the original feeds it."""
    from torchvision import transforms
    tf = transforms.Compose([transforms.ToTensor(),
                             transforms.Normalize(mean=[0.485, 0.456, 0.406],
                                                  std=[0.229, 0.224, 0.225])])
    return torch.stack([tf(f) for f in frames_uint8]).float()


def slots_of(mask_by_object, ids, maxseqlen):
    """(1, maxseqlen, H*W) with object id's mask in slot id - 1 (eval_previous_mask.py:451-472
    annot_from_mask: max(maxseqlen, max id) rows cut to maxseqlen)."""
    no, h, w = mask_by_object.shape
    out = np.zeros((max(maxseqlen, no), h * w), np.float64)
    for i in ids:
        out[i - 1] = mask_by_object[i - 1].reshape(-1)
    return torch.from_numpy(out[:maxseqlen][None]).float()


# ---------------------------------------------------------------- one case
def build(spec, original):
    """The original encoder and decoder of ``spec``, weights by the rule, in eval mode."""
    FeatureExtractor, RSISMask, RSIS, _, _ = original
    args = argparse.Namespace(
        base_model=spec['base_model'], hidden_size=spec['hidden_size'],
        kernel_size=spec['kernel_size'], skip_mode='concat', dropout=0.0,
        maxseqlen=spec['maxseqlen'], use_gpu=False, only_spatial=spec['variant'] == 'S',
        only_temporal=spec['variant'] == 'T')
    encoder = FeatureExtractor(args)
    decoder = RSISMask(args) if spec['mode'] == 'one-shot' else RSIS(args)
    shapes = fill_by_rule(encoder), fill_by_rule(decoder)
    encoder.eval()
    decoder.eval()
    return args, encoder, decoder, shapes


def original_probs(spec, original, x_all, all_masks, first):
    """(F, steps, H, W) sigmoid outputs of the original per-frame function, chained as
    eval_previous_mask.py (one-shot) / eval.py (zero-shot) chain it; steps = the objects for
    one-shot, all maxseqlen for zero-shot."""
    _, _, _, test_prev_mask, test = original
    args, encoder, decoder, shapes = build(spec, original)
    one_shot = spec['mode'] == 'one-shot'
    nf, no = all_masks.shape[:2]
    h, w = all_masks.shape[-2:]
    probs = []
    with torch.no_grad():
        prev_hidden_temporal_list = None
        prev_mask = None
        for ii in range(nf):
            x = x_all[ii:ii + 1]
            if one_shot:
                if ii == 0:  # eval_previous_mask.py:350-375: frame 0's annotation
                    prev_mask = slots_of(all_masks[0], [i for i in first if first[i] == 0],
                                         args.maxseqlen)
                entering = [i for i in sorted(first) if ii > 0 and first[i] == ii]
                if entering:  # eval_previous_mask.py:377-395: a late object's slot replaced
                    annot = slots_of(all_masks[ii], entering, args.maxseqlen)
                    for kk in entering:
                        prev_mask[:, kk - 1, :] = annot[:, kk - 1, :]
                outs, hidden_temporal_list = test_prev_mask(
                    args, encoder, decoder, x, prev_hidden_temporal_list, prev_mask)
                if not args.only_spatial:  # eval_previous_mask.py:442-446
                    prev_hidden_temporal_list = hidden_temporal_list
                if ii > 0:
                    prev_mask = outs
                probs.append(outs[0, :no].reshape(no, h, w).numpy().copy())
            else:  # eval.py:236-308
                outs, hidden_temporal_list = test(args, encoder, decoder, x,
                                                  prev_hidden_temporal_list)
                prev_hidden_temporal_list = hidden_temporal_list
                probs.append(outs[0].reshape(args.maxseqlen, h, w).numpy().copy())
    return np.stack(probs).astype(np.float32), shapes


def run_case(name, spec, original):
    frames_uint8, all_masks, first = make_video(spec)
    x_all = to_input(frames_uint8)
    probs, (enc_shapes, dec_shapes) = original_probs(spec, original, x_all, all_masks, first)
    one_shot = spec['mode'] == 'one-shot'
    nf, no = all_masks.shape[:2]
    h, w = spec['hw']
    meta = dict(
        case=name,
        code=('imatge-upc/rvos src/modules/model.py (FeatureExtractor, RSISMask) + src/test.py '
              '(test_prev_mask)' if one_shot else
              'imatge-upc/rvos src/modules/model.py (FeatureExtractor, RSIS) + src/test.py '
              '(test)'),
        mode=spec['mode'], variant=spec['variant'], base_model=spec['base_model'],
        hidden_size=spec['hidden_size'], kernel_size=spec['kernel_size'], skip_mode='concat',
        maxseqlen=spec['maxseqlen'], input_hw=[h, w], frames=nf, objects=no,
        late_objects={str(k): int(v) for k, v in sorted(spec['late'].items())},
        probs_shape=list(probs.shape), probs_range=[float(probs.min()), float(probs.max())],
        probs_mean=float(probs.mean()), encoder_state_dict=enc_shapes,
        decoder_state_dict=dec_shapes)
    data = dict(frames_uint8=frames_uint8, frames=x_all.numpy().astype(np.float32),
                first_frame_masks=all_masks[0].copy(), all_masks=all_masks, probs=probs)
    return meta, data


def check_existing(path, original):
    """Rerun the original on an existing fixture's inputs: the chaining above must give its
    stored probabilities (a check of this script, not of the project)."""
    with open(path + '.json') as f:
        meta = json.load(f)
    data = np.load(path + '.npz')
    spec = dict(mode=meta['mode'], variant=meta.get('variant', 'ST'),
                base_model=meta['base_model'], hidden_size=meta['hidden_size'],
                kernel_size=meta['kernel_size'], maxseqlen=meta['maxseqlen'])
    no = data['all_masks'].shape[1]
    first = {i: 0 for i in range(1, no + 1)}
    first.update({int(k): int(v) for k, v in meta['late_objects'].items()})
    probs, (enc, dec) = original_probs(spec, original, torch.from_numpy(data['frames']),
                                       data['all_masks'], first)
    assert enc == meta['encoder_state_dict'] and dec == meta['decoder_state_dict'], 'keys'
    return float(np.abs(probs - data['probs']).max())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', required=True, help='src/ of imatge-upc/rvos')
    parser.add_argument('--out', required=True)
    parser.add_argument('--cases', nargs='*', default=list(CASES), choices=list(CASES))
    parser.add_argument('--check', nargs='*', default=[], metavar='FIXTURE',
                        help='existing fixtures (path without .json / .npz) to rerun first')
    opts = parser.parse_args(argv)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    original = import_original(osp.abspath(opts.src))
    for path in opts.check:
        print('check', osp.basename(path), 'max |diff|', check_existing(path, original),
              flush=True)
    os.makedirs(opts.out, exist_ok=True)
    for name in opts.cases:
        meta, data = run_case(name, CASES[name], original)
        with open(osp.join(opts.out, name + '.json'), 'w') as f:
            json.dump(meta, f, indent=1)
        np.savez_compressed(osp.join(opts.out, name + '.npz'), **data)
        print(name, meta['probs_shape'], meta['probs_range'], flush=True)


if __name__ == '__main__':
    main()
