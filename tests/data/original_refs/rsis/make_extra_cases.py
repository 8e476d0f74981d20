"""Extra RSIS cases (rsis_r34_h64_odd67x101, rsis_r50_h32_k1_75x90) from the original code.

Run outside the project, never by the tests: `git archive` imatge-upc/rsis src/ to /tmp/rsis_orig,
`pip install --no-deps --target /tmp/tvpkg torchvision==0.28.0`, empty
/tmp/tvpkg/torchvision/_meta_registrations.py, then `PYTHONPATH=/tmp/tvpkg python THIS`. The
original files run unedited; the shims are below (those of original_refs/README.md).
The same script reproduces rsis_r50_cityscapes_like.npz bit for bit.
"""
import json, os, sys, types, zlib, hashlib
import numpy as np
import torch
SRC = '/tmp/rsis_orig/src'
sys.path[:0] = [SRC, os.path.join(SRC, 'modules')]
sys.modules.setdefault('munkres', types.SimpleNamespace(Munkres=object))  # imported, unused at inference
import torchvision.models as tvm
for name in ('resnet34', 'resnet50', 'resnet101'):
    orig = getattr(tvm, name)
    setattr(tvm, name, (lambda f: lambda pretrained=False, **kw: f(weights=None))(orig))
os.chdir(SRC)
from args import get_parser
from modules.model import FeatureExtractor, RSIS
from test import test


class PyInt(int):  # Python 2 int '/': floors
    def __truediv__(self, o):
        return PyInt(int(self) // int(o))


def rule_tensor(key, shape):
    if key.endswith('num_batches_tracked'):
        return torch.tensor(0, dtype=torch.int64)
    z = np.random.default_rng(zlib.crc32(key.encode('utf-8'))).standard_normal(shape)
    if key.endswith('running_mean'): v = 0.1 * z
    elif key.endswith('running_var'): v = 1 + 0.1 * np.abs(z)
    elif len(shape) == 1 and key.endswith('weight'): v = 1 + 0.1 * z
    elif key.endswith('bias'): v = 0.1 * z
    else: v = z / np.sqrt(np.prod(shape[1:]))
    return torch.from_numpy(np.asarray(v, dtype=np.float32))


def fill(m):
    sd = m.state_dict()
    m.load_state_dict({k: rule_tensor(k, list(v.shape)) for k, v in sd.items()})
    return {k: list(v.shape) for k, v in sd.items()}


def make(case, base, hidden, k, C, T, H, W, seed):
    torch.set_num_threads(1)
    args = get_parser().parse_args([])
    args.use_gpu = False
    args.base_model, args.hidden_size, args.kernel_size = base, PyInt(hidden), k
    args.num_classes, args.maxseqlen = C, T
    enc, dec = FeatureExtractor(args), RSIS(args)
    enc_shapes, dec_shapes = fill(enc), fill(dec)
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (2, H, W, 3), dtype=np.uint8)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    x = ((img / 255.0 - mean) / std).transpose(0, 3, 1, 2).astype(np.float32)
    with torch.no_grad():
        masks, classes, stops = test(args, enc, dec, torch.from_numpy(x))
    np.savez_compressed(f'/tmp/rsis_orig/out/{case}.npz', image_uint8=img, x=x,
                        mask_probs=masks.numpy(), class_probs=classes.numpy(),
                        stop_probs=stops.numpy())
    model_args = dict(base_model=base, hidden_size=hidden, kernel_size=k, skip_mode='concat',
                      maxseqlen=T, num_classes=C, dropout=0.0, dropout_stop=0.0,
                      dropout_cls=0.0, use_gpu=False)
    src = {f: hashlib.sha256(open(os.path.join(SRC, f), 'rb').read()).hexdigest()
           for f in ('modules/model.py', 'modules/clstm.py', 'modules/vision.py', 'test.py')}
    meta = dict(case=case, code='imatge-upc/rsis src/modules/model.py (FeatureExtractor, RSIS) + '
                'modules/clstm.py + modules/vision.py + test.py (test), run unedited',
                source_sha256=src, shims=[
                    'torchvision resnetXX(pretrained=True) -> weights=None (rule overwrites all)',
                    'src and src/modules on sys.path', 'hidden_size: int subclass whose / floors',
                    'munkres stubbed (imported by utils/hungarian.py, unused)',
                    "torchvision 0.28.0 --no-deps, _meta_registrations.py emptied"],
                torch=torch.__version__, batch=2, input_hw=[H, W], model_args=model_args,
                other_args=dict(dataset='pascal', imsize=256), eval_orig_hw=[H, W],
                mask_probs_range=[float(masks.min()), float(masks.max())],
                encoder_state_dict=enc_shapes, decoder_state_dict=dec_shapes)
    with open(f'/tmp/rsis_orig/out/{case}.json', 'w') as f:
        json.dump(meta, f, indent=1)
    print(case, masks.shape, classes.shape, stops.shape, float(masks.min()), float(masks.max()))


make('rsis_r34_h64_odd67x101', 'resnet34', 64, 3, 5, 4, 67, 101, 0)
make('rsis_r50_h32_k1_75x90', 'resnet50', 32, 1, 3, 3, 75, 90, 1)
