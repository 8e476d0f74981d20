"""Make RSIS training cases by running imatge-upc/rsis ``src/train.py`` (run OUTSIDE the project).

    python make_rsis_train_cases.py --src ORIGINAL_RSIS/src --out OUT_DIR [--cases NAME ...]

``--src`` is the ``src/`` folder of a checkout of imatge-upc/rsis; nothing of it is copied here.
``train.py`` is Python 2 as a whole (print statements in ``trainIters``), so this script reads it
and executes, verbatim, (1) its import statements, (2) ``runIter`` with ``.data[0]`` read as
``.data.item()`` (a 0-dim tensor cannot be indexed since torch 0.4), and (3) the lines of
``trainIters`` that build the optimizers and the criteria (``get_base_params`` /
``get_skip_params`` / ``get_optimizer``, ``softIoULoss`` / ``MaskedNLLLoss`` /
``MaskedBCELoss``). The batch targets come from ``dataset.py``'s own ``sequence_from_masks``,
executed verbatim the same way on a stand-in dataset object (``classes``, ``max_seq_len``).
Then ``runIter`` runs twice (two optimizer steps) on one fixed batch of 2 images, once in
float64 (the reference: ``torch.set_default_dtype`` and both modules in double) and once in
float32 (as it trains; its deviation from the reference is the case's ``noise/``), both on the
float32 input the DataLoader gives (``tests/helpers/train_refs_utils.py``).

Environment: torch 2.x CPU, numpy, scipy, munkres, pillow, torchvision installed with
``--no-deps`` and its ``torchvision/_meta_registrations.py`` emptied. Shims, all from here:
``torchvision.models.resnetNN(pretrained=True)`` builds with ``weights=None`` (the weight rule
overwrites every tensor); ``src``, ``src/modules`` and ``src/utils`` on ``sys.path`` (Python 2
implicit relative imports); ``args.hidden_size`` an int whose ``/`` floors; ``use_gpu=False``;
``torch.masked_select`` turns a uint8 mask into bool (``objectives.py`` passes ``sw.byte()``);
the ``dataloader.dataset_utils`` import of train.py stubbed (it needs the datasets; nothing of
it runs with the batch given directly); the optimizers on their one-parameter-after-another path
(``foreach=False``, torch 1.x's only path; the CPU default anyway).
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import re
import sys
import types

import numpy as np
import torch

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.join(HERE, *[os.pardir] * 4, 'helpers'))  # tests/: the weight rule, save_case
from original_refs_utils import rule_tensor  # noqa: E402
from train_refs_utils import save_case  # noqa: E402

# ---------------------------------------------------------------- the cases
# objects: per image, how many instances (sorted by size by sequence_from_masks); losses: the
# terms switched on, as trainIters switches them (update_encoder is on from epoch 0 with the
# default finetune_after=0, train.py:314-318; use_class_loss at epoch class_loss_after=20,
# train.py:319-324; use_stop_loss after a plateau, train.py:487-499).
CASES = {
    # thesis base (R101, 21 classes, maxseqlen 10, gt_maxseqlen 20), epoch < 20: sIoU only
    'rsis_train_r101_siou': dict(
        base_model='resnet101', hidden_size=32, kernel_size=3, num_classes=21, maxseqlen=10,
        gt_maxseqlen=20, hw=(64, 64), objects=(3, 1), losses=(), seed=101),
    # the same model after the plateau: class NLL (x 0.1) and balanced stop BCE (x 0.5) on
    'rsis_train_r101_cls_stop': dict(
        base_model='resnet101', hidden_size=32, kernel_size=3, num_classes=21, maxseqlen=10,
        gt_maxseqlen=20, hw=(64, 64), objects=(2, 4), losses=('class', 'stop'), seed=102),
    # BasicBlock encoder, odd-size input, more objects (5) than steps (4): no early break,
    # one object never matched; epochs 20.. before the plateau: class on, stop off
    'rsis_train_r34_cls_5obj_4steps_48x80': dict(
        base_model='resnet34', hidden_size=48, kernel_size=3, num_classes=5, maxseqlen=4,
        gt_maxseqlen=6, hw=(48, 80), objects=(5, 2), losses=('class', ), seed=34),
    # kernel 1, hidden 16 (a 1-channel last ConvLSTM), odd 57x75 (decoder output 58x76 resized
    # back), an image without objects (stop target 0 at step 0): all terms on
    'rsis_train_r50_k1_h16_empty_57x75': dict(
        base_model='resnet50', hidden_size=16, kernel_size=1, num_classes=3, maxseqlen=6,
        gt_maxseqlen=8, hw=(57, 75), objects=(0, 2), losses=('class', 'stop'), seed=50),
}
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # train.py:35-36
LOSS_NAMES = ('total', 'mask_iou', 'stop', 'class')  # runIter's `losses`, train.py:189
# Fingerprinted (sum / norm / max of the gradient and of each update) instead of stored: every
# ResNet tensor (lr 1e-6: only the update's fingerprint says anything), and any other tensor
# over STATS_NUMEL elements (the largest skip convs and ConvLSTM gates), to keep the files small;
# the ResNet tensors starting with FULL_ENCODER are stored in full as well.
STATS_NUMEL = 30000
FULL_ENCODER = ('base.bn1.', 'base.layer1.0.bn1.', 'base.layer4.0.downsample.1.')


class PyInt(int):
    """Python 2 ``int / int``: floors (model.py's ``hidden_size/2`` ...)."""

    def __truediv__(self, other):
        return PyInt(int(self) // int(other))


# ---------------------------------------------------------------- the original code
def _install_shims(src):
    import torchvision.models as tvm
    for name in ('resnet34', 'resnet50', 'resnet101'):
        ctor = getattr(tvm, name)

        def no_download(pretrained=False, _ctor=ctor, **kw):  # nothing is downloaded
            return _ctor(weights=None, **kw)
        setattr(tvm, name, no_download)
    masked_select = torch.masked_select

    def bool_mask_select(input, mask, *a, **kw):  # torch >= 1.2 wants a bool mask
        return masked_select(input, mask.bool() if mask.dtype == torch.uint8 else mask, *a, **kw)
    torch.masked_select = bool_mask_select
    stub = types.ModuleType('dataloader.dataset_utils')
    stub.get_dataset = None  # init_dataloaders only
    pkg = types.ModuleType('dataloader')
    pkg.dataset_utils = stub
    sys.modules.update({'dataloader': pkg, 'dataloader.dataset_utils': stub})
    sys.path[:0] = [src, osp.join(src, 'modules'), osp.join(src, 'utils')]


def _block(text, start, end=None):
    """The source from ``start`` up to (excluding) ``end``, or to the end of the file."""
    i = text.index(start)
    return text[i:] if end is None else text[i:text.index(end, i)]


def _lines(text, wanted):
    """The lines of ``text`` (stripped of their indentation) that start with one of ``wanted``,
    in file order: each must occur exactly once."""
    out = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(wanted)]
    for w in wanted:
        n = sum(ln.startswith(w) for ln in out)
        if n != 1:
            raise RuntimeError(f'train.py: {w!r} found {n} times')
    return '\n'.join(out) + '\n'


def load_original(src):
    """A namespace holding train.py's imports, ``runIter`` and the setup lines of
    ``trainIters``; and ``sequence_from_masks`` of dataset.py."""
    _install_shims(src)
    os.chdir(src)
    with open(osp.join(src, 'train.py')) as f:
        train = f.read()
    ns = {'__name__': 'rsis_train_original'}
    imports = [ln for ln in train.split('\ndef ', 1)[0].splitlines()
               if ln.startswith(('import ', 'from '))]
    exec('\n'.join(imports), ns)
    run_iter = _block(train, 'def runIter(', '\ndef trainIters(')
    n_item = run_iter.count('.data[0]')
    exec(run_iter.replace('.data[0]', '.data.item()'), ns)
    trainiters = _block(train, 'def trainIters(', '\nif __name__')
    ns['SETUP_OPTIM'] = _lines(trainiters, (
        'encoder_params = get_base_params', 'skip_params = get_skip_params',
        'decoder_params = list(decoder.parameters())', 'dec_opt = get_optimizer',
        'enc_opt = get_optimizer'))
    ns['SETUP_CRITS'] = _lines(trainiters, (
        'mask_siou = softIoULoss()', 'class_xentropy = MaskedNLLLoss',
        'stop_xentropy = MaskedBCELoss', 'crits = [', 'optims = ['))
    with open(osp.join(src, 'dataloader', 'dataset.py')) as f:
        dataset = f.read()
    seq = _block(dataset, '    def sequence_from_masks(')  # the file's last method
    exec(re.sub(r'^    ', '', seq, flags=re.M), ns)
    ns['N_DATA_ITEM'] = n_item
    return ns


# ---------------------------------------------------------------- weights and batch
def fill_by_rule(module):
    sd = module.state_dict()
    module.load_state_dict({k: rule_tensor(k, list(v.shape)) for k, v in sd.items()},
                           strict=True)
    return {k: list(v.shape) for k, v in sd.items()}


def paint_instances(rng, h, w, n, num_classes):
    """``(ins, seg)`` maps (0 = background): ``n`` exclusive ellipses of distinct areas, later
    ids painted over earlier ones, each of a random class 1..C-1."""
    yy, xx = np.mgrid[:h, :w]
    while True:
        ins = np.zeros((h, w), np.int64)
        for i in range(1, n + 1):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            ry, rx = rng.uniform(0.1, 0.45) * h, rng.uniform(0.1, 0.45) * w
            ins[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] = i
        areas = [(ins == i).sum() for i in range(1, n + 1)]
        if (ins == 0).any() and min(areas, default=99) >= 20 and len(set(areas)) == n:
            break
    classes = rng.integers(1, num_classes, n + 1)
    classes[0] = 0
    return ins, classes[ins]


def make_batch(ns, case, rng):
    """Images (uint8 RGB), the normalised input ``x`` and the targets as the DataLoader
    collates them: ``(B, gt_maxseqlen, H*W + 3)`` float64 from ``sequence_from_masks``."""
    from torchvision import transforms
    h, w = case['hw']
    to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    dataset = types.SimpleNamespace(classes=list(range(case['num_classes'])),
                                    max_seq_len=case['gt_maxseqlen'])
    images, xs, targets = [], [], []
    for n in case['objects']:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ins, seg = paint_instances(rng, h, w, n, case['num_classes'])
        images.append(img)
        xs.append(to_input(img))
        targets.append(torch.from_numpy(ns['sequence_from_masks'](dataset, ins.astype(np.float64),
                                                                  seg.astype(np.float64))))
    return np.stack(images), torch.stack(xs), torch.stack(targets)


def make_args(ns, case):
    args = ns['get_parser']().parse_args([])  # args.py defaults: lr, wd, loss weights, ...
    args.use_gpu = False
    for key in ('base_model', 'kernel_size', 'num_classes', 'maxseqlen', 'gt_maxseqlen'):
        setattr(args, key, case[key])
    args.hidden_size = PyInt(case['hidden_size'])
    args.update_encoder = True  # finetune_after=0: from epoch 0 (train.py:314-318)
    args.use_class_loss = 'class' in case['losses']
    args.use_stop_loss = 'stop' in case['losses']
    return args


def setup(ns, args, encoder, decoder):
    """trainIters's optimizers and criteria, by its own lines."""
    local = dict(ns, args=args, encoder=encoder, decoder=decoder)
    exec(ns['SETUP_OPTIM'], local)
    exec(ns['SETUP_CRITS'], local)
    for opt in (local['enc_opt'], local['dec_opt']):
        for group in opt.param_groups:
            group['foreach'] = False
    return local['crits'], local['optims']


def occurrences(opt, named):
    """How many times each parameter occurs in ``opt``'s parameter list."""
    ids = {}
    for group in opt.param_groups:
        for p in group['params']:
            ids[id(p)] = ids.get(id(p), 0) + 1
    return {k: ids.get(id(p), 0) for k, p in named.items()}


# ---------------------------------------------------------------- one case
def run_original(ns, case, dtype):
    """Two runIter iterations of the case in ``dtype``: ``(run, parts, inputs)``, run holding
    the losses, iteration 1's gradients and the state before and after each step."""
    # The input as the DataLoader gives it, float32 (ToTensor + Normalize), in both runs: the
    # float32 run's deviation from the reference is then the arithmetic's alone.
    torch.set_default_dtype(torch.float32)
    images, x, targets = make_batch(ns, case, np.random.default_rng(case['seed']))
    torch.set_default_dtype(dtype)  # float64: every tensor runIter makes, too
    torch.manual_seed(0)
    args = make_args(ns, case)
    encoder, decoder = ns['FeatureExtractor'](args), ns['RSIS'](args)
    enc_shapes, dec_shapes = fill_by_rule(encoder), fill_by_rule(decoder)
    encoder.to(dtype)
    decoder.to(dtype)
    crits, optims = setup(ns, args, encoder, decoder)

    named = {f'encoder.{k}': p for k, p in encoder.named_parameters()}
    named.update({f'decoder.{k}': p for k, p in decoder.named_parameters()})
    grads = {}
    hooks = [p.register_post_accumulate_grad_hook(
        lambda p, k=k: grads.__setitem__(k, p.grad.detach().clone())) for k, p in named.items()]

    def state():
        sd = {f'encoder.{k}': v.detach().clone() for k, v in encoder.state_dict().items()}
        sd.update({f'decoder.{k}': v.detach().clone() for k, v in decoder.state_dict().items()})
        return sd

    initial, losses, after, perms, steps = state(), [], [], [], []
    for it in range(2):
        xv, y_mask, y_class, sw_mask, sw_class = ns['batch_to_var'](args, x.to(dtype), targets)
        terms, outs, perm = ns['runIter'](args, encoder, decoder, xv, y_mask, y_class, sw_mask,
                                          sw_class, crits, optims, mode='train')
        if it == 0:
            for hk in hooks:
                hk.remove()
        losses.append(dict(zip(LOSS_NAMES, map(float, terms))))
        after.append(state())
        perms.append(perm[1].numpy().tolist())
        steps.append(int(outs[0].shape[1]))
    torch.set_default_dtype(torch.float32)

    enc_opt, dec_opt = optims
    parts = dict(
        args=args, steps_run=steps, matched_classes=perms,
        encoder_adam_occurrences=occurrences(
            enc_opt, {k: p for k, p in named.items() if k.startswith('encoder.')}),
        decoder_adam_occurrences={k: v for k, v in occurrences(dec_opt, named).items() if v},
        encoder_adam_step_after_2={k: float(enc_opt.state[p]['step'])
                                   for k, p in named.items()
                                   if k.startswith('encoder.base.layer1.0.')},
        encoder_state_dict=enc_shapes, decoder_state_dict=dec_shapes)
    inputs = dict(image_uint8=images, x=x.numpy(), targets=targets.numpy(),
                  num_objects=np.array(case['objects'], np.int64))
    return dict(losses=losses, grads=grads, initial=initial, after=after), parts, inputs


def run_case(ns, name, case, out_dir, src):
    """The float64 reference and the float32 run of a case: its npz and json."""
    reference, parts, inputs = run_original(ns, case, torch.float64)
    float32, parts32, _ = run_original(ns, case, torch.float32)
    for key in ('steps_run', 'matched_classes'):
        assert parts[key] == parts32[key], f'{name}: the float32 run differs in {key}'
    initial = reference['initial']
    stats_only = [k for k, v in initial.items() if v.is_floating_point() and (
        k.startswith('encoder.base.') or v.numel() > STATS_NUMEL)]
    full_keys = [k for k in stats_only
                 if k.startswith(tuple('encoder.' + p for p in FULL_ENCODER))]
    save_case(osp.join(out_dir, name + '.npz'), inputs, reference, float32,
              stats_only=stats_only, full_keys=full_keys)

    args = parts.pop('args')
    train_args = {k: (int(v) if isinstance(v, PyInt) else v) for k, v in vars(args).items()
                  if isinstance(v, (int, float, str, bool, type(None)))}
    src_files = ('train.py', 'args.py', 'utils/utils.py', 'utils/hungarian.py',
                 'utils/objectives.py', 'modules/model.py', 'modules/clstm.py',
                 'modules/vision.py', 'dataloader/dataset.py')
    meta = dict(
        case=name,
        code=('imatge-upc/rsis src/train.py runIter (verbatim, .data[0] -> .data.item()) with '
              "train.py's imports and trainIters's optimizer / criteria lines; targets from "
              'dataloader/dataset.py sequence_from_masks (verbatim); run in float64 (the '
              'reference) and in float32 (its noise)'),
        source_sha256={f: hashlib.sha256(open(osp.join(src, f), 'rb').read()).hexdigest()
                       for f in src_files},
        shims=['torchvision resnetXX(pretrained=True) -> weights=None (the rule overwrites all)',
               'src, src/modules, src/utils on sys.path', 'hidden_size: int subclass whose / '
               'floors', 'use_gpu=False', 'torch.masked_select: uint8 mask -> bool',
               'dataloader.dataset_utils stubbed (get_dataset unused)',
               "optimizers' param groups foreach=False", 'runIter: .data[0] -> .data.item() '
               f"({ns['N_DATA_ITEM']} places)",
               'float64 run: torch.set_default_dtype(float64), modules .to(float64), the float32 '
               'input x cast',
               'torchvision 0.28.0 --no-deps, _meta_registrations.py emptied'],
        torch=torch.__version__, batch=2, input_hw=list(case['hw']),
        num_objects=list(case['objects']), losses_on=list(case['losses']),
        model_args=dict(base_model=case['base_model'], hidden_size=case['hidden_size'],
                        kernel_size=case['kernel_size'], skip_mode='concat',
                        maxseqlen=case['maxseqlen'], num_classes=case['num_classes'],
                        dropout=0.0, dropout_stop=0.0, dropout_cls=0.0, use_gpu=False),
        other_args=dict(dataset='pascal', imsize=256),
        train_args=train_args,
        loss_terms=dict(zip(LOSS_NAMES, ['loss (the optimised total)', 'loss_mask_iou',
                                         'loss_stop (unweighted)', 'loss_class (unweighted)'])),
        losses=reference['losses'], losses_float32=float32['losses'], **parts)
    with open(osp.join(out_dir, name + '.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(name, 'steps', parts['steps_run'], 'losses', reference['losses'],
          f"{os.path.getsize(osp.join(out_dir, name + '.npz')) / 1e6:.2f} MB", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', required=True, help='imatge-upc/rsis src/ folder')
    parser.add_argument('--out', required=True)
    parser.add_argument('--cases', nargs='*', default=list(CASES))
    a = parser.parse_args()
    out = osp.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    ns = load_original(osp.abspath(a.src))
    for name in a.cases:
        run_case(ns, name, CASES[name], out, osp.abspath(a.src))


if __name__ == '__main__':
    main()
