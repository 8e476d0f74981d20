"""Make RefVOS training cases by running the original miriambellver/refvos training code (run
OUTSIDE the project).

    python make_refvos_train_cases.py --src ORIGINAL_REFVOS --tokenizer BERT_BASE_UNCASED_VOCAB_DIR
                                      --out OUT_DIR [--cases NAME ...]

Per case, the original ``train.py`` ``train_one_epoch`` runs one epoch over a data loader of two
collated batches (two iterations, two optimizer steps). Everything it is given is built by the
original's own code: the samples by ``train.get_transform(train=True)`` (RandomResize to the
shorter side ``0.8 * base_size``, RandomCrop ``crop_size`` which pads the short sides at the
right / bottom with image 0 and target 255, ToTensor, Normalize) on images small enough that
the crop has one place only (no random draw), batched by ``utils.collate_fn_emb_berts``; the
model, BERT, the SGD optimizer and the poly ``LambdaLR`` by the lines of ``main()`` themselves,
cut verbatim out of its source (from ``model = segmentation...`` up to the scheduler) and run as
a function with ``args`` of the case (args.py defaults otherwise: lr 0.01, momentum 0.9, weight
decay 1e-4, 30 epochs, ``--pretrained_refvos`` so that main() loads the rule weights from a
checkpoint, ``--ck_bert`` a folder holding the case's BertModel). So the parameter groups are
whatever main() yields (backbone, classifier, BERT ``encoder.layer[0..9]``, pooler) and the LR
``(1 - it / (len(data_loader) * epochs)) ** 0.9`` with ``len(data_loader) = 2``.

Recorded through hooks only (the script is not changed): the loss of each iteration (a wrapper
around ``train.criterion``), every gradient before the first step and every state_dict entry
after each step (optimizer step hooks), the learning rate of each parameter group at each step,
the dropout masks of ``project`` / ``project_final`` (forward hooks), the training mode of the
model and of BERT during the epoch, what the stand-in logger was told.

Shims, all from here: those of ``make_refvos_cases.py`` (``torchvision.models.utils``,
``resnet101(pretrained=...)`` -> ``weights=None``, empty matplotlib / scipy.misc / pycocotools /
tensorflow); ``nn.Module.cuda`` returns the module (a CPU); ``BertModel.from_pretrained`` gets
``attn_implementation='eager'`` (the original's transformers had no other attention); a logger
stand-in with ``scalar_summary`` (logger.py needs tensorflow 1.x).

Each case is run twice (tests/helpers/train_refs_utils.py): in float64, the reference
(``torch.set_default_dtype(float64)``, ``model`` and ``bert_model`` cast once main() built
them: the same Parameter objects its optimizer holds), and in float32 as it trains, whose
distance to the reference is the case's ``noise/``. Both are fed the float32 images of the
original transform (cast when fed). In float32, train-mode BatchNorm over a batch of 2
amplifies rounding about 100x: the original differs from itself between 1 and 2 threads by
~1e-4 of the backbone output and by percents on gradients.
"""
import argparse
import inspect
import json
import os
import os.path as osp
import sys
import tempfile
import textwrap

import numpy as np
import torch

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, osp.join(HERE, *[os.pardir] * 4, 'helpers'))  # tests/: rule and the common case layout
from make_refvos_cases import import_original, make_images, tokenize  # noqa: E402
from original_refs_utils import rule_tensor  # noqa: E402
from train_refs_utils import save_case  # noqa: E402

# raw_hw: each sample's image before RandomResize (shorter side -> int(0.8 * base_size)); both
# sides stay <= crop_size after it, so RandomCrop only pads (image 0, target 255) and crops at
# (0, 0) without a draw. bert: BertConfig fields over BertConfig() (hidden 768 is fixed by the
# original's Linear(768, 256); >= 10 layers by main()'s range(10)). Two batches of `batch`
# samples: the data loader of train_one_epoch.
CASES = {
    'refvos_train_r101_bertbase': dict(
        bert={}, crop_size=128, base_size=130, batch=2, seed=5,
        raw_hw=[(80, 96), (100, 84), (96, 96), (80, 90)],
        sentences=['the man on the left', 'small brown dog', 'white car', 'woman in red']),
    'refvos_train_r101_bert11l_b3': dict(
        bert=dict(num_hidden_layers=11, intermediate_size=256, max_position_embeddings=40),
        crop_size=96, base_size=100, batch=3, seed=7,
        raw_hw=[(80, 90), (90, 80), (70, 80), (80, 80), (60, 70), (84, 72)],
        sentences=['the tall giraffe standing behind the smaller one on the far left side of '
                   'the picture next to the fence', 'left zebra', 'bowl', 'guy with a hat',
                   'the second cup from the right', 'tree']),
}
MAX_TOKENS = 20  # RefCOCO (dataset_refer_bert.py:41)
SEED = 0  # torch.manual_seed right before train_one_epoch: the dropout masks
# fingerprinted (tests/helpers/train_refs_utils.py) beyond these sizes / prefixes, except FULL_KEYS
STATS_NUMEL = 20000
FULL_KEYS = ('model.backbone.conv1.weight', 'model.backbone.bn1.weight',
             'model.backbone.bn1.bias', 'model.backbone.bn1.running_mean',
             'model.backbone.bn1.running_var', 'model.backbone.layer4.2.bn3.weight',
             'model.backbone.layer4.2.bn3.running_var')
BERT_FULL_LAYERS = ('bert.encoder.layer.0.', )
MAIN_FROM = 'model = segmentation.__dict__[args.model]'
MAIN_UNTIL = "model_dir = os.path.join('./models/', args.model_id)"


def main_excerpt(orig_train):
    """train.py main()'s lines from the model to the LR scheduler, verbatim, as a function of
    ``args``, ``data_loader``, ``num_classes`` and ``device`` returning its locals."""
    lines = inspect.getsource(orig_train.main).splitlines()
    start = next(i for i, s in enumerate(lines) if MAIN_FROM in s)
    stop = next(i for i, s in enumerate(lines) if MAIN_UNTIL in s)
    body = '\n'.join(lines[start:stop])
    src = ('def main_excerpt(args, data_loader, num_classes, device):\n' + body +
           '\n    return locals()\n')
    return src, textwrap.dedent(body)


class EagerBert:
    """``BertModel`` for main()'s ``model_class.from_pretrained(args.ck_bert)``, eager attention
    (the original's era) instead of transformers 4.57's sdpa default."""

    @staticmethod
    def from_pretrained(path):
        from transformers import BertModel
        return BertModel.from_pretrained(path, attn_implementation='eager',
                                         local_files_only=True)


class LoggerStandIn:
    """logger.Logger without tensorflow: keeps what train_one_epoch reports."""

    def __init__(self):
        self.scalars = []

    def scalar_summary(self, tag, value, step):
        self.scalars.append([tag, float(value), int(step)])


def rule_weights(module):
    """The rule's state_dict of ``module`` (shapes only are read: built on the meta device)."""
    return {k: rule_tensor(k, list(v.shape)) for k, v in module.state_dict().items()}


def write_inputs(orig_train, args, bert_config, folder):
    """The ``--ck_bert`` folder (a BertModel of the case's config) and the
    ``--ck_pretrained_refvos`` checkpoint (both state_dicts by the weight rule)."""
    from lib import segmentation
    from transformers import BertModel
    with torch.device('meta'):
        shapes_model = segmentation.deeplabv3_resnet101(num_classes=2, aux_loss=False,
                                                        pretrained=False, args=args)
        shapes_bert = BertModel(bert_config)
    weights = dict(model=rule_weights(shapes_model), bert_model=rule_weights(shapes_bert))
    bert = BertModel(bert_config)
    bert.load_state_dict(weights['bert_model'], strict=True)
    bert.save_pretrained(osp.join(folder, 'bert'))
    torch.save(weights, osp.join(folder, 'refvos.pth'))
    return weights


def make_batches(orig_train, orig_utils, tokenizer, spec, args):
    """Two batches as the DataLoader gives them (dataset_refer_bert.py __getitem__ in training:
    image, target, ids ``(1, 20)``, attention ``(1, 20)``; collate_fn_emb_berts)."""
    from PIL import Image
    import transforms as T
    rng = np.random.default_rng(spec['seed'])
    transform = orig_train.get_transform(train=True, base_size=args.base_size,
                                         crop_size=args.crop_size)
    geometric = T.Compose(transform.transforms[:2])  # RandomResize, RandomCrop
    ids, att, raw = tokenize(tokenizer, spec['sentences'], MAX_TOKENS)
    items, uint8, targets = [], [], []
    for k, hw in enumerate(spec['raw_hw']):
        img, tgt = make_images(hw, 1, rng)
        pil, pil_t = Image.fromarray(img[0]), Image.fromarray(tgt[0], mode='P')
        im, t = transform(pil, pil_t)
        resized = transform.transforms[0](pil, pil_t)[0].size
        assert max(resized) <= args.crop_size, f'{hw} -> {resized}: RandomCrop would draw'
        g_im, g_t = geometric(pil, pil_t)
        assert g_im.size == (args.crop_size, args.crop_size), g_im.size
        uint8.append(np.asarray(g_im))
        targets.append(np.asarray(g_t))
        np.testing.assert_array_equal(t.numpy(), targets[-1])
        items.append((im, t, torch.from_numpy(ids[k])[None], torch.from_numpy(att[k])[None]))
    b = spec['batch']
    loader = [orig_utils.collate_fn_emb_berts(items[i:i + b]) for i in range(0, len(items), b)]
    arrays = dict(images_uint8=np.stack(uint8), targets=np.stack(targets).astype(np.int64),
                  images=torch.stack([it[0] for it in items]).numpy(), input_ids=ids,
                  attention_mask=att)
    return loader, arrays, raw


class Recorder:
    """Optimizer step hooks and forward hooks; nothing of the script changes."""

    def __init__(self, model, bert, optimizer, names):
        self.named = {'model.' + k: p for k, p in model.named_parameters()}
        self.named.update({'bert.' + k: p for k, p in bert.named_parameters()})
        self.model, self.bert, self.names = model, bert, names
        self.grads, self.after, self.lrs, self.modes, self.dropout = {}, [], [], [], {}
        optimizer.register_step_pre_hook(self._pre)
        optimizer.register_step_post_hook(self._post)
        bert.register_forward_pre_hook(self._mode)
        aspp = model.classifier.aspp
        for name, drop in (('project', aspp.project[3]), ('project_final', aspp.project_final[3])):
            drop.register_forward_hook(self._drop(name))

    def state(self):
        sd = {'model.' + k: v.detach().clone() for k, v in self.model.state_dict().items()}
        sd.update({'bert.' + k: v.detach().clone() for k, v in self.bert.state_dict().items()})
        return sd

    def _pre(self, opt, args, kwargs):
        self.lrs.append([g['lr'] for g in opt.param_groups])
        if not self.grads:
            self.grads = {k: p.grad.detach().clone() for k, p in self.named.items()
                          if p.grad is not None}

    def _post(self, opt, args, kwargs):
        self.after.append(self.state())

    def _mode(self, mod, args):
        self.modes.append(dict(model_training=self.model.training, bert_training=mod.training))

    def _drop(self, name):
        def hook(mod, args, out):
            # 1 kept, 0 dropped; 2 where the input is 0 (after the ReLU: the draw is not seen)
            keep = (out != 0).to(torch.uint8)
            keep[args[0] == 0] = 2
            it = len(self.after) + 1
            self.dropout[f'dropout{it}_{name}'] = keep.numpy()
        return hook


def group_summary(optimizer, names):
    """Per parameter group of main(): how many tensors, lr, and which BERT layers it holds."""
    out = []
    for g in optimizer.param_groups:
        keys = [names[id(p)] for p in g['params']]
        layers = sorted({int(k.split('.')[3]) for k in keys if k.startswith('bert.encoder.')})
        out.append(dict(tensors=len(keys), first=keys[:1], last=keys[-1:], bert_layers=layers,
                        lr=g['initial_lr'], momentum=g['momentum'],
                        weight_decay=g['weight_decay'], nesterov=g['nesterov'],
                        dampening=g['dampening'], foreach=g['foreach']))
    return out


def original_args(spec, folder):
    """args.py's defaults with the case's batch and crop, main() loading the rule weights
    (``--pretrained_refvos``) and the case's BERT folder (``--ck_bert``)."""
    from args import get_parser
    return get_parser().parse_args([
        '--dataset', 'refcoco', '--device', 'cpu', '-b', str(spec['batch']),
        '--crop_size', str(spec['crop_size']), '--base_size', str(spec['base_size']),
        '--pretrained_refvos', '--ck_pretrained_refvos', osp.join(folder, 'refvos.pth'),
        '--ck_bert', osp.join(folder, 'bert')])


def build_with_main(orig_train, args, loader):
    """``(model, bert_model, optimizer, lr_scheduler)`` as main()'s own lines build them."""
    excerpt, _ = main_excerpt(orig_train)
    scope = dict(vars(orig_train), BertModel=EagerBert)
    exec(compile(excerpt, 'train.py main() excerpt', 'exec'), scope)
    cuda = torch.nn.Module.cuda
    torch.nn.Module.cuda = lambda self, device=None: self  # a CPU
    try:
        built = scope['main_excerpt'](args, loader, 2, torch.device(args.device))
    finally:
        torch.nn.Module.cuda = cuda
    return built['model'], built['bert_model'], built['optimizer'], built['lr_scheduler']


def run_original(orig, tokenizer, spec, folder, weights, dtype):
    """One epoch of the case's two batches in ``dtype``: ``(run, parts, inputs)``, run holding
    the losses, iteration 1's gradients and the state before and after each step."""
    _, _, _, orig_utils = orig
    import train as orig_train
    args = original_args(spec, folder)
    loader, arrays, raw = make_batches(orig_train, orig_utils, tokenizer, spec, args)
    torch.set_default_dtype(dtype)  # float64: every tensor the script makes, too
    model, bert, optimizer, lr_scheduler = build_with_main(orig_train, args, loader)
    model.to(dtype), bert.to(dtype)  # the same Parameter objects main()'s optimizer holds
    # the float32 images of the original transform, cast when fed (both runs see one input)
    loader = [(image.to(dtype), target, ids, att) for image, target, ids, att in loader]
    names = {id(p): 'model.' + k for k, p in model.named_parameters()}
    names.update({id(p): 'bert.' + k for k, p in bert.named_parameters()})
    rec = Recorder(model, bert, optimizer, names)
    initial = rec.state()
    for entry, prefix in (('model', 'model.'), ('bert_model', 'bert.')):
        for k, v in weights[entry].items():  # main() loaded the rule weights
            assert torch.equal(initial[prefix + k], v.to(initial[prefix + k].dtype)), k
    losses = []

    def criterion(inputs, target, args_):  # train.criterion, its value kept
        loss = orig_train.criterion(inputs, target, args_)
        losses.append(dict(loss=loss.item()))
        return loss

    logger = LoggerStandIn()
    torch.manual_seed(SEED)
    orig_train.train_one_epoch(model, criterion, optimizer, loader, lr_scheduler,
                               torch.device(args.device), 0, args, args.print_freq, logger, 0,
                               bert, baseline_model=None)
    torch.set_default_dtype(torch.float32)
    assert len(rec.after) == len(losses) == 2 and all(not m['bert_training'] for m in rec.modes)
    in_optimizer = {names[id(p)] for g in optimizer.param_groups for p in g['params']}
    changed = sorted(k for k in initial if not torch.equal(initial[k], rec.after[-1][k]))
    run = dict(losses=losses, grads=rec.grads, initial=initial, after=rec.after)
    parts = dict(args=args, raw=raw, rec=rec, logger=logger, changed=changed,
                 groups=group_summary(optimizer, names), in_optimizer=in_optimizer,
                 lr_after_epoch=optimizer.param_groups[0]['lr'],
                 attn=bert.config._attn_implementation)
    ins = dict(arrays, **rec.dropout, lrs=np.array(rec.lrs, np.float64))
    return run, parts, ins


def run_case(orig, tokenizer, name, spec, folder):
    """The float64 reference and the float32 run of a case, and its json."""
    import train as orig_train
    from transformers import BertConfig
    bert_config = BertConfig(**spec['bert'])
    weights = write_inputs(orig_train, original_args(spec, folder), bert_config, folder)
    reference, parts, ins = run_original(orig, tokenizer, spec, folder, weights, torch.float64)
    float32, parts32, ins32 = run_original(orig, tokenizer, spec, folder, weights,
                                           torch.float32)
    args, rec, changed = parts['args'], parts['rec'], parts['changed']
    for k, v in ins32.items():  # the float32 run's dropout draws, where they differ
        seen = (v != 2) & (ins[k] != 2) if k.startswith('dropout') else None
        if seen is not None and not np.array_equal(v[seen], ins[k][seen]):
            ins[k.replace('dropout', 'dropout32_', 1)] = v
    stats_only = [k for k, v in reference['initial'].items()
                  if k.startswith('model.backbone.') or v.numel() > STATS_NUMEL or
                  (k.startswith('bert.') and not k.startswith(BERT_FULL_LAYERS))]
    total = len(ins['lrs']) * args.epochs
    ins['lr_poly'] = np.array([args.lr * (1 - it / total) ** 0.9 for it in range(3)])
    with_grad = set(reference['grads'])
    _, shown = main_excerpt(orig_train)
    meta = dict(
        case=name,
        code='miriambellver/refvos train.py train_one_epoch (one epoch = the two batches), '
             'criterion, get_transform(train=True); main() lines "' + MAIN_FROM + '" .. the '
             'LambdaLR, verbatim; utils.collate_fn_emb_berts; run in float64 (the reference) '
             'and in float32 (its noise)',
        main_excerpt=shown.splitlines(),
        shims=['make_refvos_cases.import_original (torchvision.models.utils, '
               'resnet101(pretrained=...) -> weights=None, stubs for matplotlib, scipy.misc, '
               'pycocotools.mask, tensorflow)', 'nn.Module.cuda -> identity (CPU)',
               "BertModel.from_pretrained(..., attn_implementation='eager')",
               'logger: a stand-in with scalar_summary',
               'float64 run: torch.set_default_dtype(float64), model.to / bert_model.to('
               'float64) once main() built them (the Parameter objects its optimizer holds), '
               'the collated float32 images of the transform cast when fed'],
        weight_rule='../README.md weight rule (tests/original_refs_utils.rule_tensor) on both '
                    "state_dicts, loaded by main()'s --pretrained_refvos branch",
        args={k: getattr(args, k) for k in (
            'dataset', 'model', 'aux_loss', 'batch_size', 'base_size', 'crop_size', 'epochs',
            'lr', 'momentum', 'weight_decay', 'fixed_lr', 'linear_lr', 'multiply_feats',
            'addition', 'baseline_bilstm')},
        bert_config={k: getattr(bert_config, k) for k in (
            'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads',
            'intermediate_size', 'max_position_embeddings', 'type_vocab_size')},
        bert_attn_implementation=parts['attn'],
        modes_during_epoch=rec.modes,
        param_groups=parts['groups'],
        len_data_loader=len(ins['lrs']), poly_total_iters=total,
        lrs_per_step=rec.lrs, logger_scalars=parts['logger'].scalars,
        lr_after_epoch=parts['lr_after_epoch'],
        losses=reference['losses'], losses_float32=float32['losses'],
        not_stepped_with_grad=sorted(with_grad - parts['in_optimizer']),
        stepped_without_grad=sorted(parts['in_optimizer'] - with_grad),
        changed_after_two_steps=len(changed),
        bert_changed_layers=sorted({int(k.split('.')[3]) for k in changed
                                    if k.startswith('bert.encoder.')}),
        bert_changed_other=[k for k in changed if k.startswith('bert.')
                            and not k.startswith('bert.encoder.')],
        ignored_pixels=[int((t == 255).sum()) for t in ins['targets']],
        raw_hw=spec['raw_hw'], crop_size=spec['crop_size'], base_size=spec['base_size'],
        batch=spec['batch'], max_tokens=MAX_TOKENS, sentences=spec['sentences'],
        sentence_raw_lengths=parts['raw'], truncated=[r > MAX_TOKENS for r in parts['raw']],
        torch_seed_before_epoch=SEED,
        float32_dropout_differs=sorted(k for k in ins if k.startswith('dropout32_')),
        stats_only_count=len(stats_only), full_keys=list(FULL_KEYS),
        model_state_dict={k: list(v.shape) for k, v in weights['model'].items()},
        bert_state_dict={k: list(v.shape) for k, v in weights['bert_model'].items()})
    return meta, ins, reference, float32, stats_only


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--src', required=True, help='root of a miriambellver/refvos checkout')
    p.add_argument('--tokenizer', required=True,
                   help='folder with bert-base-uncased vocab.txt (BertTokenizer)')
    p.add_argument('--out', required=True)
    p.add_argument('--cases', nargs='*', default=list(CASES), choices=list(CASES))
    a = p.parse_args(argv)
    # every transformers module the scripts' `from transformers import *` loads, loaded while
    # this venv's real scipy is importable (import_original stubs `scipy` for logger.py)
    exec('from transformers import *', {})
    orig = import_original(osp.abspath(a.src))
    from transformers import BertTokenizer
    tokenizer = BertTokenizer.from_pretrained(a.tokenizer, local_files_only=True)
    os.makedirs(a.out, exist_ok=True)
    for name in a.cases:
        with tempfile.TemporaryDirectory() as folder:
            meta, ins, reference, float32, stats_only = run_case(orig, tokenizer, name,
                                                                 CASES[name], folder)
        with open(osp.join(a.out, name + '.json'), 'w') as f:
            json.dump(meta, f, indent=1)
        save_case(osp.join(a.out, name + '.npz'), ins, reference, float32,
                  stats_only=stats_only, full_keys=FULL_KEYS)
        print(name, meta['losses'], meta['losses_float32'], meta['lrs_per_step'], flush=True)


if __name__ == '__main__':
    main()
