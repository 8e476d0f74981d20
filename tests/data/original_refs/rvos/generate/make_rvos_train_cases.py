"""Make RVOS training cases by running the original imatge-upc/rvos training code (run OUTSIDE
the project).

    python make_rvos_train_cases.py --src ORIGINAL_RVOS/src --out OUT_DIR [--cases NAME ...]

Per case, two training iterations on one fixed batch of clips, as the scripts' ``trainIters``
loop runs them (train_previous_mask.py:276-304, train_previous_inference_mask.py:279-306,
train.py:300-328): per frame ``batch_to_var`` then the script's own ``runIter``, which sums the
frames' losses and at the clip's last frame zeroes the gradients, backpropagates and steps
``dec_opt`` then ``enc_opt``. The optimisers are built by the scripts' own lines
(train_previous_mask.py:213-217): ``get_base_params`` for the ResNet (which yields a parameter
once per module level that holds it), ``decoder.parameters()`` + ``get_skip_params`` for the
decoder, ``get_optimizer('adam', ...)`` with args.py's defaults (lr 1e-3 / 1e-6, weight decay
1e-6 / 1e-6); ``-finetune_after 0`` turns ``update_encoder`` on from the first epoch (:263-267).
Weights by the rule of shared/original_refs/README.md; no augmentation (the batch is given).
Each case runs twice, in float64 (the reference) and in float32 (its noise), on the same
float32 input (tests/helpers/train_refs_utils.py says why).

Shims, all from here: torchvision's ``resnetNN(pretrained=True)`` builds with ``weights=None``;
``args.use_gpu = False``; empty stand-ins for the ``dataloader`` package (it reads a db_info.yaml
on import; nothing of it is used with batches given) and for matplotlib; ``masked_select`` gets
bool masks (the scripts pass ``.byte()``; torch 2.x takes only bool). The optimiser's
``step`` is wrapped to copy the gradients before it runs (the case's ``grad1/``).
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys
import types

import numpy as np
import torch

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, osp.join(HERE, *[os.pardir] * 4, 'helpers'))  # tests/: the common case layout
from make_rvos_cases import fill_by_rule, import_original, make_video, to_input  # noqa: E402
from train_refs_utils import save_case  # noqa: E402

SCRIPTS = dict(gt_prev='train_previous_mask.py', pred_prev='train_previous_inference_mask.py',
               zero_shot='train.py')
# clips: one video spec per batch element (make_rvos_cases.make_video: late = {id: first
# frame}, hidden = {id: frames where it is away}); valid: the sw_mask of the dataset the clip
# comes from: 'video' every object of the video at every frame (YouTube-VOS,
# dataset.py:222-229), 'frame' the objects in that frame's annotation (DAVIS, :234-237).
CASES = {
    'rvos_train_gtprev_st_r101_ytvos': dict(
        script='gt_prev', variant='ST', base_model='resnet101', hidden_size=16, kernel_size=3,
        maxseqlen=10, hw=(64, 96), frames=5, valid='video',
        clips=[dict(objects=3, late={3: 2}, hidden={2: [1, 2]}, seed=11),
               dict(objects=2, late={}, hidden={}, seed=12)]),
    'rvos_train_gtprev_s_r50_davis': dict(
        script='gt_prev', variant='S', base_model='resnet50', hidden_size=24, kernel_size=3,
        maxseqlen=5, hw=(48, 80), frames=5, valid='frame',
        clips=[dict(objects=2, late={}, hidden={1: [3]}, seed=21),
               dict(objects=3, late={2: 1}, hidden={}, seed=22)]),
    'rvos_train_gtprev_t_r34_ytvos': dict(
        script='gt_prev', variant='T', base_model='resnet34', hidden_size=16, kernel_size=1,
        maxseqlen=4, hw=(56, 72), frames=4, valid='video',
        clips=[dict(objects=2, late={2: 2}, hidden={}, seed=31),
               dict(objects=1, late={}, hidden={1: [1]}, seed=32)]),
    'rvos_train_predprev_st_r101_davis': dict(
        script='pred_prev', variant='ST', base_model='resnet101', hidden_size=16, kernel_size=3,
        maxseqlen=10, hw=(64, 96), frames=5, valid='frame',
        clips=[dict(objects=3, late={3: 2}, hidden={1: [3]}, seed=41),
               dict(objects=2, late={}, hidden={}, seed=42)]),
    'rvos_train_predprev_t_r50_ytvos': dict(
        script='pred_prev', variant='T', base_model='resnet50', hidden_size=16, kernel_size=3,
        maxseqlen=5, hw=(48, 64), frames=3, valid='video',
        clips=[dict(objects=2, late={}, hidden={2: [1]}, seed=51),
               dict(objects=3, late={3: 1}, hidden={}, seed=53)]),
    'rvos_train_zeroshot_st_r101_ytvos': dict(
        script='zero_shot', variant='ST', base_model='resnet101', hidden_size=16, kernel_size=3,
        maxseqlen=10, hw=(64, 96), frames=5, valid='video',
        clips=[dict(objects=3, late={}, hidden={2: [2, 3]}, seed=61),
               dict(objects=2, late={}, hidden={}, seed=62)]),
    'rvos_train_zeroshot_t_r50_ytvos_late': dict(
        script='zero_shot', variant='T', base_model='resnet50', hidden_size=16, kernel_size=3,
        maxseqlen=5, hw=(48, 64), frames=3, valid='video',
        clips=[dict(objects=3, late={2: 1}, hidden={}, seed=81),
               dict(objects=2, late={1: 2}, hidden={}, seed=82)]),
    'rvos_train_zeroshot_s_r34_davis': dict(
        script='zero_shot', variant='S', base_model='resnet34', hidden_size=16, kernel_size=3,
        maxseqlen=6, hw=(48, 72), frames=4, valid='frame',
        clips=[dict(objects=2, late={}, hidden={}, seed=71),
               dict(objects=3, late={3: 2}, hidden={1: [1]}, seed=72)]),
}
# The ResNet's tensors are stored as fingerprints, except these few (tests/helpers/train_refs_utils.py).
FULL_KEYS = ('encoder.base.conv1.weight', 'encoder.base.bn1.weight', 'encoder.base.bn1.bias',
             'encoder.base.layer1.0.conv1.weight', 'encoder.base.layer4.0.downsample.1.weight')
STATS_NUMEL = 20000  # any other tensor above this size is fingerprinted too


def stub_imports():
    """Empty stand-ins for what the scripts import but a given batch never uses."""
    for name in ('matplotlib', 'matplotlib.pyplot', 'dataloader', 'dataloader.dataset_utils'):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules['matplotlib'].use = lambda *a, **k: None
    sys.modules['dataloader.dataset_utils'].get_dataset = None
    sys.modules['dataloader.dataset_utils'].sequence_palette = None
    select = torch.masked_select

    def masked_select(x, mask, *a, **k):  # torch 2.x: bool masks only
        return select(x, mask.bool(), *a, **k)
    torch.masked_select = masked_select


def load_script(src, script):
    spec = importlib.util.spec_from_file_location('rvos_' + script[:-3], osp.join(src, script))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def script_args(src, spec):
    """args.py's defaults, with the case's model arguments (the scripts' command line)."""
    sys.argv = ['train']
    from args import get_parser
    args = get_parser().parse_args([])
    args.use_gpu = False
    args.base_model, args.hidden_size = spec['base_model'], spec['hidden_size']
    args.kernel_size, args.maxseqlen = spec['kernel_size'], spec['maxseqlen']
    args.gt_maxseqlen = spec['maxseqlen']
    args.only_spatial, args.only_temporal = spec['variant'] == 'S', spec['variant'] == 'T'
    args.length_clip, args.batch_size = spec['frames'], len(spec['clips'])
    args.dropout = 0.0
    args.update_encoder = True  # -finetune_after 0 (train_previous_mask.py:263-267)
    return args


def make_batch(spec):
    """The clips as the DataLoader gives them: per frame ``inputs[ii] (B, 3, H, W)`` and
    ``targets[ii] (B, maxseqlen, H*W + 1)`` (masks of ids 1.. in rows id - 1, then sw_mask)."""
    frames, masks, valid = [], [], []
    for clip in spec['clips']:
        video = dict(clip, hw=spec['hw'], frames=spec['frames'])
        f, m, first = make_video(video)
        frames.append(f)
        rows = np.zeros((spec['frames'], spec['maxseqlen']) + tuple(spec['hw']), np.uint8)
        rows[:, :m.shape[1]] = m[:, :spec['maxseqlen']]
        masks.append(rows)
        v = np.zeros((spec['frames'], spec['maxseqlen']), np.uint8)
        if spec['valid'] == 'video':
            v[:, :m.shape[1]] = 1
        else:
            v[:] = rows.reshape(rows.shape[:2] + (-1,)).any(-1)
        valid.append(v)
    frames, masks, valid = np.stack(frames), np.stack(masks), np.stack(valid)
    inputs = [torch.stack([to_input(frames[b])[ii] for b in range(len(frames))])
              for ii in range(spec['frames'])]
    b, t, n, h, w = masks.shape
    targets = [torch.from_numpy(np.concatenate(
        [masks[:, ii].reshape(b, n, h * w), valid[:, ii, :, None]], -1).astype(np.float32))
        for ii in range(t)]
    return dict(frames=frames, masks=masks, valid=valid), inputs, targets


def prefixed(encoder, decoder):
    """The state of both modules under the case's keys; the ResNet's unused ``fc`` (never in
    an optimiser, dropped by the converter) is left out."""
    sd = {'encoder.' + k: v.detach().clone() for k, v in encoder.state_dict().items()
          if not k.startswith('base.fc.')}
    sd.update({'decoder.' + k: v.detach().clone() for k, v in decoder.state_dict().items()})
    return sd


def run_original(src, spec, dtype):
    """Two iterations of the case's script in ``dtype``: ``(run, meta_parts, inputs)``, run
    holding the losses, iteration 1's gradients and the state before and after each step."""
    arrays, inputs, targets = make_batch(spec)  # float32, as the DataLoader gives them
    torch.set_default_dtype(dtype)  # float64: every tensor the scripts make, too
    mod = load_script(src, SCRIPTS[spec['script']])
    args = script_args(src, spec)
    decoder_cls = mod.RSIS if spec['script'] == 'zero_shot' else mod.RSISMask
    torch.manual_seed(0)
    encoder, decoder = mod.FeatureExtractor(args), decoder_cls(args)
    enc_shapes, dec_shapes = fill_by_rule(encoder), fill_by_rule(decoder)
    encoder.to(dtype)
    decoder.to(dtype)
    # train_previous_mask.py:213-217 (train.py:226-230 alike)
    encoder_params = mod.get_base_params(args, encoder)
    skip_params = mod.get_skip_params(encoder)
    decoder_params = list(decoder.parameters()) + list(skip_params)
    dec_opt = mod.get_optimizer(args.optim, args.lr, decoder_params, args.weight_decay)
    enc_opt = mod.get_optimizer(args.optim_cnn, args.lr_cnn, encoder_params,
                                args.weight_decay_cnn)
    for opt in (enc_opt, dec_opt):
        for g in opt.param_groups:
            g['foreach'] = False  # torch 1.x's one-parameter-after-another path
    crits = mod.softIoULoss()
    named = {'encoder.' + k: p for k, p in encoder.named_parameters()}
    named.update({'decoder.' + k: p for k, p in decoder.named_parameters()})
    grads = {}
    dec_step = dec_opt.step

    def step_recording(*a, **k):  # the gradients as backward left them, before any step
        if not grads:
            grads.update({k_: p.grad.detach().clone() for k_, p in named.items()
                          if p.grad is not None})
        return dec_step(*a, **k)
    dec_opt.step = step_recording

    x32 = torch.stack(inputs, 1).numpy()
    inputs, targets = [x.to(dtype) for x in inputs], [y.to(dtype) for y in targets]
    initial = prefixed(encoder, decoder)
    losses, after, permutations = [], [], []
    for _ in range(2):  # trainIters' loop over one batch, twice
        prev_hidden_temporal_list, loss, last_frame = None, None, False
        max_ii = min(len(inputs), args.length_clip)
        permutation = None
        for ii in range(max_ii):
            last_frame = ii == max_ii - 1
            x, y_mask, sw_mask = mod.batch_to_var(args, inputs[ii], targets[ii])
            if spec['script'] == 'zero_shot':  # train.py:313-321
                loss, iter_losses, outs, permutation, hidden_temporal_list = mod.runIter(
                    args, encoder, decoder, x, y_mask, sw_mask, crits, [enc_opt, dec_opt],
                    'train', permutation, loss, prev_hidden_temporal_list, last_frame)
                prev_hidden_temporal_list = hidden_temporal_list
                continue
            if ii == 0:
                prev_mask = y_mask
            loss, iter_losses, outs, hidden_temporal_list = mod.runIter(
                args, encoder, decoder, x, y_mask, sw_mask, crits, [enc_opt, dec_opt],
                'train', loss, prev_hidden_temporal_list, prev_mask, last_frame)
            if not args.only_spatial:
                prev_hidden_temporal_list = hidden_temporal_list
            prev_mask = y_mask if spec['script'] == 'gt_prev' else outs
        losses.append(dict(loss=iter_losses[0]))
        if permutation is not None:  # zero-shot: ground-truth row of each slot (match())
            permutations.append(np.asarray(permutation).tolist())
        after.append(prefixed(encoder, decoder))
    torch.set_default_dtype(torch.float32)
    run = dict(losses=losses, grads=grads, initial=initial, after=after)
    parts = dict(args=args, permutations=permutations, encoder_state_dict=enc_shapes,
                 decoder_state_dict=dec_shapes)
    ins = dict(frames_uint8=arrays['frames'], x=x32, masks=arrays['masks'],
               valid=arrays['valid'])
    return run, parts, ins


def run_case(src, name, spec):
    """The float64 reference and the float32 run of a case, and its json."""
    reference, parts, ins = run_original(src, spec, torch.float64)
    float32, parts32, _ = run_original(src, spec, torch.float32)
    args = parts['args']
    stats_only = [k for k, v in reference['initial'].items()
                  if k.startswith('encoder.base.') or v.numel() > STATS_NUMEL]
    meta = dict(
        case=name, script=SCRIPTS[spec['script']],
        code=f'imatge-upc/rvos src/{SCRIPTS[spec["script"]]} runIter, chained over the clip '
             'as its trainIters loop, two iterations on one batch; optimisers as its main; '
             'run in float64 (the reference) and in float32 (its noise)',
        variant=spec['variant'], base_model=spec['base_model'],
        hidden_size=spec['hidden_size'], kernel_size=spec['kernel_size'], skip_mode='concat',
        maxseqlen=spec['maxseqlen'], input_hw=list(spec['hw']), frames=spec['frames'],
        valid=spec['valid'], clips=spec['clips'],
        optim=dict(lr=args.lr, lr_cnn=args.lr_cnn, weight_decay=args.weight_decay,
                   weight_decay_cnn=args.weight_decay_cnn, optim=args.optim,
                   optim_cnn=args.optim_cnn),
        losses=reference['losses'], losses_float32=float32['losses'],
        permutations=parts['permutations'], permutations_float32=parts32['permutations'],
        encoder_state_dict=parts['encoder_state_dict'],
        decoder_state_dict=parts['decoder_state_dict'])
    return meta, ins, reference, float32, stats_only


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', required=True, help='src/ of imatge-upc/rvos')
    parser.add_argument('--out', required=True)
    parser.add_argument('--cases', nargs='*', default=list(CASES), choices=list(CASES))
    opts = parser.parse_args(argv)
    torch.set_num_threads(1)
    src = osp.abspath(opts.src)
    import_original(src)  # the torchvision shim and src/ on sys.path
    stub_imports()
    os.makedirs(opts.out, exist_ok=True)
    for name in opts.cases:
        meta, ins, reference, float32, stats_only = run_case(src, name, CASES[name])
        with open(osp.join(opts.out, name + '.json'), 'w') as f:
            json.dump(meta, f, indent=1)
        save_case(osp.join(opts.out, name + '.npz'), ins, reference, float32,
                  stats_only=stats_only, full_keys=FULL_KEYS)
        print(name, meta['losses'], meta['losses_float32'], flush=True)


if __name__ == '__main__':
    main()
