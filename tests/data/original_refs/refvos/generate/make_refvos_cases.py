"""Make RefVOS fixtures by running the original miriambellver/refvos code (run OUTSIDE the project).

    python make_refvos_cases.py --src ORIGINAL_REFVOS --tokenizer BERT_BASE_UNCASED_VOCAB_DIR
                                --out OUT_DIR [--cases NAME ...] [--check EXISTING_FIXTURE ...]

``--src`` is the root of a checkout of miriambellver/refvos; nothing of it is copied here: this
script imports the original ``lib.segmentation`` (``deeplabv3_resnet101`` -> ``DeepLabHeadEmb``,
``ASPP_v4``, ``_SimpleSegmentationModelEmb``), ``args.get_parser``, ``test.py`` (``get_transform``,
``evaluate``, ``computeIoU``) and ``utils.collate_fn_emb_berts`` from that path and only does what
test.py's ``main`` does around them (build, load weights, a loader, ``evaluate``).
``--tokenizer`` is a folder with bert-base-uncased's vocabulary (``BertTokenizer``); the sentences
are tokenised as the original datasets do (``encode(add_special_tokens=True)[:max_tokens]``, pad 0).

Environment: torch 2.x CPU, numpy, pillow, torchvision installed with ``--no-deps`` and its
``torchvision/_meta_registrations.py`` emptied, transformers 4.57.6. Shims, all from here:
``torchvision.models.utils.load_state_dict_from_url`` (module removed from torchvision),
``resnet101(pretrained=...)`` -> ``weights=None`` (no download: the weight rule overwrites every
tensor), empty stubs for matplotlib, ``scipy.misc.imread``, ``pycocotools.mask`` and tensorflow
(imported by test.py, unused on this path).
"""
import argparse
import contextlib
import hashlib
import io
import json
import os
import os.path as osp
import re
import sys
import types

import numpy as np
import torch

# ---------------------------------------------------------------- the cases
# dataset: 'refcoco' (ReferDataset eval_mode: sentences stacked on a last axis) or 'a2d' /
# 'davis' (one sentence, test.py unsqueezes the last axis); max_tokens as the dataset files.
CASES = {
    'refvos_r101_batch3': dict(
        dataset='refcoco', max_tokens=20, hw=(96, 128), seed=3,
        sentences=['the man on the left in a red shirt',
                   'small brown dog',
                   'second car from the right, partly hidden behind the white truck']),
    'refvos_r101_odd_97x141': dict(
        dataset='refcoco', max_tokens=20, hw=(97, 141), seed=97,
        sentences=['woman holding an umbrella', 'the bowl nearest to the camera']),
    'refvos_r101_truncated20': dict(
        dataset='refcoco', max_tokens=20, hw=(112, 120), seed=20,
        sentences=['the tall giraffe standing behind the smaller one on the far left side of the '
                   'picture next to the wooden fence and the big tree',
                   'left zebra']),
    'refvos_r101_a2d_tokens10': dict(
        dataset='a2d', max_tokens=10, hw=(88, 152), seed=10,
        sentences=['a man in a black jacket is riding a bicycle down the hill',
                   'dog running', 'the white bird flying']),
}


# ---------------------------------------------------------------- the weight rule
# The tests' own rule (tests/helpers/original_refs_utils.py: numpy + torch only, no project import), so
# that fixtures and tests fill the same numbers from one definition.
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), *[os.pardir] * 4, 'helpers'))
from original_refs_utils import rule_tensor  # noqa: E402


def fill_by_rule(module):
    sd = module.state_dict()
    filled = {k: rule_tensor(k, list(v.shape)) for k, v in sd.items()}
    module.load_state_dict(filled, strict=True)
    return {k: list(v.shape) for k, v in sd.items()}


# ---------------------------------------------------------------- the original code
def _stub(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def import_original(src):
    import transformers  # noqa: F401 (before the stubs: it probes scipy / matplotlib specs)
    import torchvision.models as tvm
    import torchvision.models.resnet as tvr
    from torch.hub import load_state_dict_from_url
    _stub('torchvision.models.utils', load_state_dict_from_url=load_state_dict_from_url)
    orig101 = tvr.resnet101

    def resnet101(pretrained=False, **kwargs):  # no download: the rule overwrites every weight
        return orig101(weights=None, **kwargs)
    tvr.resnet101 = tvm.resnet101 = resnet101
    mpl = _stub('matplotlib', use=lambda *a, **k: None)
    mpl.pyplot = _stub('matplotlib.pyplot')
    scipy = _stub('scipy')
    scipy.misc = _stub('scipy.misc', imread=None)
    pyc = _stub('pycocotools')
    pyc.mask = _stub('pycocotools.mask')
    _stub('tensorflow')
    sys.path.insert(0, src)
    saved_argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        from args import get_parser
        from lib import segmentation
        import test as orig_test  # noqa: F401 (src first on sys.path: the original test.py)
        import utils as orig_utils
    finally:
        sys.argv = saved_argv
    assert osp.dirname(osp.abspath(orig_test.__file__)) == osp.abspath(src), orig_test.__file__
    return get_parser, segmentation, orig_test, orig_utils


def build(orig, dataset):
    get_parser, segmentation, _, _ = orig
    from transformers import BertConfig, BertModel
    args = get_parser().parse_args(['--dataset', dataset, '--device', 'cpu'])
    model = segmentation.deeplabv3_resnet101(num_classes=2, aux_loss=False, pretrained=False,
                                             args=args)
    config = BertConfig()
    config._attn_implementation = 'eager'  # the original's era had no sdpa
    bert = BertModel(config)
    shapes = dict(model=fill_by_rule(model), bert=fill_by_rule(bert))
    return args, model.eval(), bert.eval(), shapes


class Recorder:
    """Forward hooks: what evaluate() feeds BERT / the model and what it gets back."""

    def __init__(self, model, bert):
        self.rec = {}
        bert.register_forward_hook(self._bert)
        model.register_forward_hook(self._model)
        model.classifier.register_forward_hook(self._head)
        model.classifier.aspp.embedding_project.register_forward_hook(self._proj)

    def _bert(self, mod, args, out):
        self.rec['bert_last_hidden_state'] = out[0].detach().clone()

    def _model(self, mod, args, out):
        self.rec['images_fed'] = args[0].detach().clone()
        self.rec['embedding'] = args[1].detach().clone()
        self.rec['logits'] = out[0]['out'].detach().clone()

    def _head(self, mod, args, out):
        self.rec['logits_lowres'] = out[0].detach().clone()

    def _proj(self, mod, args, out):
        self.rec['lang_proj'] = out.detach().clone()


# ---------------------------------------------------------------- inputs
def make_images(hw, n, rng):
    """Colour blocks with a checker texture and a striped ellipse (the referred object)."""
    h, w = hw
    yy, xx = np.mgrid[:h, :w]
    imgs, tgts = [], []
    for _ in range(n):
        grid = rng.integers(0, 256, (5, 7, 3))
        img = grid[(yy * 5) // h, (xx * 7) // w].astype(np.int64)
        img = img + 24 * (((yy // 3) + (xx // 3)) % 2)[..., None]
        cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
        ry, rx = rng.uniform(0.15, 0.35) * h, rng.uniform(0.15, 0.35) * w
        tgt = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        stripe = np.where((xx + yy) // 4 % 2 == 0, 60, 200)
        img[tgt] = np.stack([stripe, 255 - stripe, stripe // 2], -1)[tgt]
        imgs.append(np.clip(img, 0, 255).astype(np.uint8))
        tgts.append(tgt.astype(np.uint8))
    return np.stack(imgs), np.stack(tgts)


def tokenize(tokenizer, sentences, max_tokens):
    """dataset_refer_bert.py:66-78 / a2d.py:101-111 / davis2017.py:120-130."""
    ids = np.zeros((len(sentences), max_tokens), np.int64)
    att = np.zeros((len(sentences), max_tokens), np.int64)
    raw = []
    for i, s in enumerate(sentences):
        full = tokenizer.encode(text=s, add_special_tokens=True)
        raw.append(len(full))
        kept = full[:max_tokens]
        ids[i, :len(kept)] = kept
        att[i, :len(kept)] = 1
    return ids, att, raw


class FixtureDataset(torch.utils.data.Dataset):
    """What the original datasets' __getitem__ return at test time (one sentence per image)."""

    def __init__(self, orig_test, images_uint8, targets, ids, att, dataset):
        from PIL import Image
        self.items = []
        transform = orig_test.get_transform()
        for img, tgt, i, a in zip(images_uint8, targets, ids, att):
            im, t = transform(Image.fromarray(img), Image.fromarray(tgt, mode='P'))
            i, a = torch.from_numpy(i)[None], torch.from_numpy(a)[None]  # (1, L)
            if dataset in ('refcoco', 'refcoco+'):  # eval_mode: sentences on a last axis
                i, a = i.unsqueeze(-1), a.unsqueeze(-1)
            self.items.append((im, t, i, a))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, k):
        return self.items[k]


def run_evaluate(orig, args, model, bert, ds, batch):
    _, _, orig_test, orig_utils = orig
    loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=False, num_workers=0,
                                         collate_fn=orig_utils.collate_fn_emb_berts)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _, masks = orig_test.evaluate(args, model, loader, None, None, bert, 'cpu', 2)
    return masks, out.getvalue()


def parse_printed(text):
    block = text[text.index('Final results:'):].strip()
    prec = dict(re.findall(r'precision@([0-9.]+) = ([0-9.]+)', block))
    return dict(printed=block, parsed=dict(
        mean_iou=float(re.search(r'Mean IoU is ([0-9.]+)', block).group(1)),
        overall_iou=float(re.search(r'overall IoU = ([0-9.]+)', block).group(1)),
        precision={k: float(v) for k, v in prec.items()}))


def make_case(orig, tokenizer, name, spec, versions):
    import transformers
    args, model, bert, shapes = build(orig, spec['dataset'])
    rec = Recorder(model, bert)
    rng = np.random.default_rng(spec['seed'])
    n = len(spec['sentences'])
    images_uint8, targets = make_images(spec['hw'], n, rng)
    ids, att, raw = tokenize(tokenizer, spec['sentences'], spec['max_tokens'])
    ds = FixtureDataset(orig[2], images_uint8, targets, ids, att, spec['dataset'])
    with torch.no_grad():
        masks, printed_batch = run_evaluate(orig, args, model, bert, ds, n)
        arr = {k: v.numpy() for k, v in rec.rec.items()}
        arr['images'] = arr.pop('images_fed')
        arr['mask'] = masks[0].astype(np.int64)
        assert (arr['mask'] == arr['logits'].argmax(1)).all()
        np.testing.assert_array_equal(arr['embedding'], arr['bert_last_hidden_state'][:, 0])
        # batch 1, as test.py:279: the per-image metrics and the batch-independence check
        masks1, printed = run_evaluate(orig, args, model, bert, ds, 1)
        logits1 = []
        for k in range(n):
            model(torch.from_numpy(arr['images'][k:k + 1]),
                  torch.from_numpy(arr['embedding'][k:k + 1]))
            logits1.append(rec.rec['logits'].numpy())
        logits1 = np.concatenate(logits1)
        rolled_emb = torch.from_numpy(np.roll(arr['embedding'], 1, 0))
        model(torch.from_numpy(arr['images']), rolled_emb)
        rolled = rec.rec['logits'].numpy()
    _, _, orig_test, _ = orig
    iu = [[int(v) for v in orig_test.computeIoU(m, t)] for m, t in zip(masks1, targets[:, None])]
    arr.update(images_uint8=images_uint8, targets=targets, input_ids=ids, attention_mask=att)
    arr = {k: arr[k] for k in ('images', 'images_uint8', 'targets', 'input_ids',
                               'attention_mask', 'embedding', 'bert_last_hidden_state',
                               'lang_proj', 'logits_lowres', 'logits', 'mask')}
    margin = np.abs(arr['logits'][:, 1] - arr['logits'][:, 0])
    meta = dict(
        case=name,
        code='miriambellver/refvos lib/segmentation.py deeplabv3_resnet101, lib/deeplabv3_emb.py '
             '(DeepLabHeadEmb, ASPP_v4, ASPPConv, ASPPPooling), lib/_utils.py, test.py '
             '(get_transform, evaluate, computeIoU), utils.py collate_fn_emb_berts, '
             'transformers BertModel',
        original_functions_ran=[
            'args.get_parser().parse_args([--dataset, ' + spec['dataset'] + ', --device, cpu])',
            'lib.segmentation.deeplabv3_resnet101(num_classes=2, aux_loss=False, '
            'pretrained=False, args=args)',
            'test.get_transform()', 'utils.collate_fn_emb_berts',
            'test.evaluate(args, model, loader, None, None, bert, cpu, 2) at batch '
            + str(n) + ' (recorded arrays) and at batch 1 (metrics)', 'test.computeIoU'],
        shims=['torchvision.models.utils -> module with torch.hub.load_state_dict_from_url',
               'torchvision.models.resnet.resnet101(pretrained=...) -> ctor(weights=None, '
               '**kwargs) (no download)',
               'matplotlib, scipy.misc.imread, pycocotools.mask, tensorflow -> empty stubs, '
               'unused on this path'],
        weight_rule='../README.md weight rule (tests/original_refs_utils.rule_tensor) on both '
                    'state_dicts',
        model_args=dict(model='deeplabv3_resnet101', num_classes=2, aux_loss=False,
                        pretrained=False, replace_stride_with_dilation=[False, True, True],
                        multiply_feats=args.multiply_feats, addition=args.addition),
        bert=dict(architecture='bert-base-uncased (BertConfig() defaults)',
                  built="BertModel(BertConfig()) with config._attn_implementation='eager', eval()",
                  call='bert_model(ids, attention_mask=att)[0][:, 0, :]'),
        dataset=spec['dataset'],
        max_tokens=spec['max_tokens'],
        sentences=spec['sentences'],
        sentence_raw_lengths=raw,
        sentence_kept_lengths=[min(r, spec['max_tokens']) for r in raw],
        truncated=[r > spec['max_tokens'] for r in raw],
        input_hw=list(spec['hw']),
        batch=n,
        seed=spec['seed'],
        images_normalisation='ToTensor (/255) then Normalize(mean=[0.485,0.456,0.406], '
                             'std=[0.229,0.224,0.225])',
        shapes={k: list(v.shape) for k, v in arr.items()},
        dtypes={k: str(v.dtype) for k, v in arr.items()},
        ranges={k: [float(v.min()), float(v.max())] for k, v in arr.items()
                if v.dtype != np.uint8 and k != 'mask'},
        logits_mean=float(arr['logits'].mean()),
        logits_std=float(arr['logits'].std()),
        mask_foreground_fraction=float(arr['mask'].mean()),
        mask_foreground_fraction_per_image=[float(m.mean()) for m in arr['mask']],
        argmax_margin=dict(min=float(margin.min()), pixels_below_1e_4=int((margin < 1e-4).sum()),
                           pixels_below_1e_3=int((margin < 1e-3).sum())),
        checks=dict(
            batch1_vs_batch_logits_max_abs_diff=float(np.abs(logits1 - arr['logits']).max()),
            batch1_vs_batch_mask_pixels_differing=int(
                (np.concatenate(masks1) != arr['mask']).sum()),
            rolled_embedding_logits_max_abs_diff=float(np.abs(rolled - arr['logits']).max()),
            rolled_embedding_mask_fraction_changed=float(
                (rolled.argmax(1) != arr['mask']).mean())),
        metrics=dict(note='test.py evaluate at batch_size=1 (test.py:279) against targets; I/U '
                          'per image from test.computeIoU',
                     I_U_per_image=iu, **parse_printed(printed),
                     printed_batched_run=parse_printed(printed_batch)['printed']),
        versions=dict(versions, transformers=transformers.__version__),
        array_sha256={k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
                      for k, v in arr.items()},
        model_state_dict=shapes['model'],
        bert_state_dict=shapes['bert'],
    )
    return meta, arr


def check_existing(orig, path):
    """Rerun the original on an existing fixture's stored inputs; max abs differences."""
    with open(path + '.json') as f:
        meta = json.load(f)
    ref = dict(np.load(path + '.npz'))
    args, model, bert, shapes = build(orig, meta['dataset'])
    assert shapes['model'] == meta['model_state_dict']
    assert shapes['bert'] == meta['bert_state_dict']
    rec = Recorder(model, bert)
    ds = FixtureDataset(orig[2], ref['images_uint8'], ref['targets'], ref['input_ids'],
                        ref['attention_mask'], meta['dataset'])
    with torch.no_grad():
        masks, _ = run_evaluate(orig, args, model, bert, ds, len(ds))
    got = {k: v.numpy() for k, v in rec.rec.items()}
    got['images'] = got.pop('images_fed')
    diffs = {k: float(np.abs(got[k] - ref[k]).max()) for k in
             ('images', 'bert_last_hidden_state', 'embedding', 'lang_proj', 'logits_lowres',
              'logits')}
    diffs['mask_pixels_differing'] = int((masks[0] != ref['mask']).sum())
    return diffs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--src', required=True, help='root of a miriambellver/refvos checkout')
    p.add_argument('--tokenizer', required=True,
                   help='folder with bert-base-uncased vocab.txt (BertTokenizer)')
    p.add_argument('--out', required=True)
    p.add_argument('--cases', nargs='*', default=list(CASES))
    p.add_argument('--check', nargs='*', default=[],
                   help='existing fixtures (path without .json/.npz) to reproduce first')
    a = p.parse_args(argv)
    torch.manual_seed(0)
    orig = import_original(osp.abspath(a.src))
    from transformers import BertTokenizer
    tokenizer = BertTokenizer.from_pretrained(a.tokenizer, local_files_only=True)
    for path in a.check:
        print('check', osp.basename(path), check_existing(orig, path), flush=True)
    import torchvision
    versions = dict(torch=torch.__version__, torchvision=torchvision.__version__,
                    numpy=np.__version__, torch_num_threads=torch.get_num_threads())
    os.makedirs(a.out, exist_ok=True)
    for name in a.cases:
        meta, arr = make_case(orig, tokenizer, name, CASES[name], versions)
        np.savez_compressed(osp.join(a.out, name + '.npz'), **arr)
        with open(osp.join(a.out, name + '.json'), 'w') as f:
            json.dump(meta, f, indent=1)
        print(name, {k: meta[k] for k in ('sentence_raw_lengths', 'truncated', 'input_hw')},
              meta['checks'], flush=True)


if __name__ == '__main__':
    main()
