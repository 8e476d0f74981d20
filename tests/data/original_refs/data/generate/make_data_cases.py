"""Data-side reference cases of issue 26: run the ORIGINAL training data loaders (outside the
project) on tiny datasets in the official layouts and store what they feed the model.

    python make_data_cases.py --rvos-src IMATGE_UPC_RVOS/src --refvos-src MIRIAMBELLVER_REFVOS \
                              --out OUT_DIR [--keep TMP_DIR]

Nothing of the originals is copied here; this script imports them from the given paths:

* imatge-upc/rvos ``train_previous_mask.py``: its own ``init_dataloaders(args)`` (``get_dataset``
  -> ``YoutubeVOSLoader`` / ``DAVISLoader`` with ``inputRes`` (256, 448) / (240, 427),
  ``ToTensor`` + ``Normalize``, ``augment = args.augment and split == 'train'`` with
  ``--augment`` not given), ``-length_clip 5``, ``-gt_maxseqlen 10``; the items of its train
  dataset, one per clip, in the dataset's own order, and ``utils.utils.batch_to_var`` on the
  DataLoader's own ``collate_fn`` of a fixed batch.
* miriambellver/refvos ``train.py``: ``get_dataset('refcoco', 'train', get_transform(train=True,
  base_size=520, crop_size=480), args)`` exactly as its ``main()`` (``ReferDataset`` of
  ``data/dataset_refer_bert.py`` on ``refer_utils/refer.py``), the items, and
  ``utils.collate_fn_emb_berts`` of a fixed batch.

What is random in these loaders and how it is pinned (no augmentation draw is in a case):

* RVOS: the clips are NOT drawn: every video gives ``int(frames / length_clip)`` clips starting
  at frame indices 0, 5, 10, ... (youtubeVOS.py:104-119, davis2017.py:135-150) and the item
  loads ``length_clip`` frames from there (dataset.py:83-158). The DataLoader's ``shuffle=True``
  only orders the clips into batches: the case reads the dataset items by index (all clips) and
  batches fixed ones. ``flip_clip = random.random() < 0.5`` is drawn per item but only used
  with ``--augment`` (``self.flip``); ``random`` is seeded anyway.
* RefVOS: ``RandomResize(416, 416)`` draws ``random.randint(416, 416)`` = 416 (deterministic);
  ``RandomCrop(480)`` pads to 480 then draws the crop offset with torchvision's
  ``RandomCrop.get_params`` (torch RNG, seeded here): the case records each drawn
  ``(top, left, h, w)`` by wrapping that static method (the call and its result unchanged), and
  the test gives our ``RandomCrop`` the same offsets. The sentence (``np.random.choice``) is
  seeded; tokens are not part of this case (a stand-in tokenizer runs, see shims).

Shims (all from here, none changes what the loaders compute):
* RVOS paths: its ``misc/config*.py`` build every path from the working directory
  (``../../rvos/``, ``../../databases/...``) and read ``db_info.yaml`` / the meta jsons when
  imported, so the workers run in ``<tmp>/w/w`` next to ``<tmp>/rvos/src/dataloader/
  {db_info.yaml, palette.txt}`` (db_info.yaml: the stand-in listing the tiny DAVIS videos with
  their set, as the original's file lists DAVIS's; palette.txt copied from the original) and
  ``<tmp>/databases/{YouTubeVOS, DAVIS2017}``; ``YouTubeVOS/val/meta.json`` is a copy of
  ``valid/meta.json`` (config_youtubeVOS.py reads ``val/``: the authors renamed ``valid``).
* ``scipy.misc.imresize`` (removed from scipy): a stand-in with scipy 1.1's code path for the
  uint8 arrays it gets here: ``toimage`` (``bytescale`` returns uint8 unchanged; 2-D -> 'L',
  H x W x 3 -> 'RGB'), ``Image.resize((w, h), resample={'bilinear': 2, 'nearest': 0})``,
  ``fromimage`` (``np.array``).
* ``yaml.load(f)`` without a Loader (PyYAML >= 6 refuses it): ``FullLoader``, PyYAML 5's default.
* empty stubs for imports the training data path never uses: matplotlib, h5py,
  ``dataloader.evaluation`` (RVOS's evaluation code: prettytable, measures), tensorflow
  (RefVOS logger), ``torchvision.models.utils`` (RefVOS ``lib``: torch.hub's function).
* RefVOS ``from refer.refer import REFER``: the repository's ``refer_utils/refer.py``.
* ``transformers.BertTokenizer.from_pretrained``: a stand-in tokenizer (no download; the token
  ids are pinned by the RefVOS inference cases, not here).
* Environment: torch 2.x CPU, numpy, pillow, scipy, pyyaml, pycocotools, easydict,
  scikit-image (``ImageCollection``), lmdb (imported; no lmdb folder exists, so unused),
  torchvision installed with ``--no-deps`` (``_meta_registrations.py`` emptied), transformers.

Outputs in ``--out``: ``tiny_layouts.npz`` + ``.json`` (every file of the tiny datasets, bytes
verbatim, so a test writes the very same files), ``rvos_youtube_data.npz/json``,
``rvos_davis_data.npz/json``, ``refvos_refcoco_data.npz/json`` (see ../README.md).
"""
import argparse
import io
import json
import os
import os.path as osp
import pickle
import shutil
import subprocess
import sys
import tempfile
import types

import numpy as np
from PIL import Image, ImageDraw

# The tests' own layout / frame coding (tests/helpers/original_data_refs_utils.py: numpy only), so that
# the cases and the tests cannot drift apart.
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), *[os.pardir] * 4, 'helpers'))
from original_data_refs_utils import encode_frames, write_layouts  # noqa: E402

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
LENGTH_CLIP = 5
GT_MAXSEQLEN = 10

# ---------------------------------------------------------------- the tiny datasets
# objects: {id: (first frame index, last frame index, frame indices where it is absent)}.
YOUTUBE_VIDEOS = {
    # meta key order as written (the original iterates the meta json's order)
    'f3a1c0de77': dict(hw=(50, 70), frames=7, split='train',
                       objects={1: (0, 6, ()), 2: (2, 6, ()), 12: (0, 6, ())},
                       categories={1: 'dog', 2: 'person', 12: 'ball'}),
    '0b7d2e9a41': dict(hw=(45, 80), frames=10, split='train',
                       objects={1: (0, 9, ()), 2: (0, 9, (3, 4)), 4: (6, 9, ())},
                       categories={1: 'person', 2: 'frisbee', 4: 'dog'}),
    '9c44aa01b3': dict(hw=(40, 64), frames=5, split='val',
                       objects={1: (0, 4, ())}, categories={1: 'cat'}),
}
DAVIS_VIDEOS = {
    'bike-tiny': dict(hw=(288, 512), frames=10, split='train',
                      objects={1: (0, 9, ()), 2: (0, 9, ()), 3: (0, 9, (2, 3))},
                      void_frame=1, pixel_object=(2, 7)),  # object 2 only one pixel in frame 7
    'dog-tiny': dict(hw=(120, 214), frames=6, split='train',
                     objects={1: (0, 5, (3, )), 2: (1, 5, (3, ))}),  # frame 3: no object
    'cat-tiny': dict(hw=(120, 214), frames=5, split='val', objects={1: (0, 4, ())}),
}
# RefCOCO (refer layout): images (H, W); annotations with polygons; refs.
REFCOCO_IMAGES = {1: (100, 130), 2: (120, 110)}
REFCOCO_ANNS = {
    # ann id: (image id, category id, polygons); ann 10: two overlapping polygons
    10: (1, 1, [[20, 20, 70, 20, 70, 70, 20, 70], [50, 40, 110, 40, 110, 90, 50, 90]]),
    11: (1, 2, [[5, 75, 40, 75, 40, 98, 5, 98]]),
    12: (1, 3, [[100, 5, 125, 5, 125, 30]]),
    20: (2, 1, [[10, 15, 90, 10, 100, 100, 30, 110, 5, 60]]),
}
REFCOCO_REFS = [  # (ref id, ann id, split, sentences)
    (100, 10, 'train', ['the big square on the left', 'left box']),
    (101, 11, 'val', ['bottom thing']),
    (102, 20, 'train', ['the shape']),
]
REFCOCO_CATEGORIES = {1: 'person', 2: 'dog', 3: 'kite'}
LAYOUT_SEED = 26


def davis_palette() -> list:
    """The DAVIS / VOC bit-interleaved colour map (PNG palette)."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def _background(rng, h, w):
    low = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    return np.array(Image.fromarray(low).resize((w, h), Image.BICUBIC))


def _shape_box(obj, t, h, w):
    """A box per object and frame, moving with t."""
    bw, bh = max(3, w // 4 - obj % 3), max(3, h // 3 - obj % 2)
    x0 = int((obj * 17 + t * 3) % max(1, w - bw))
    y0 = int((obj * 11 + t * 2) % max(1, h - bh))
    return x0, y0, x0 + bw, y0 + bh


def _jpeg(rgb) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, 'JPEG', quality=90)
    return buf.getvalue()


def _png(index) -> bytes:
    im = Image.frombytes('P', index.shape[::-1], index.astype(np.uint8).tobytes())
    im.putpalette(davis_palette())
    buf = io.BytesIO()
    im.save(buf, 'PNG')
    return buf.getvalue()


def _dropped_pixel(h, w, out_hw):
    """A pixel that PIL's nearest resize to out_hw skips and OpenCV's (floor(dst * scale))
    keeps: an object of that one pixel exists in the annotation but not after resizing."""
    probe = np.arange(h * w, dtype=np.int32).reshape(h, w)
    kept = set(np.array(Image.fromarray(probe).resize(out_hw[::-1], Image.NEAREST)).ravel())
    ys = {int(np.floor(d * h / out_hw[0])) for d in range(out_hw[0])}
    xs = {int(np.floor(d * w / out_hw[1])) for d in range(out_hw[1])}
    for y in range(h // 2, h):
        for x in range(w // 2, w):
            if y * w + x not in kept and y in ys and x in xs:
                return y, x
    raise RuntimeError('no pixel dropped by PIL and kept by OpenCV')


def _video_frames(rng, spec, out_hw=None):
    """(rgb frames, index maps) of one tiny video."""
    h, w = spec['hw']
    frames, indices = [], []
    for t in range(spec['frames']):
        rgb = _background(rng, h, w)
        index = np.zeros((h, w), np.uint8)
        for obj, (first, last, absent) in spec['objects'].items():
            if not first <= t <= last or t in absent:
                continue
            if spec.get('pixel_object') == (obj, t):
                y, x = _dropped_pixel(h, w, out_hw)
                index[y, x] = obj
                rgb[y, x] = (250, 250, 250)
                continue
            box = _shape_box(obj, t, h, w)
            im = Image.fromarray(index)
            draw = ImageDraw.Draw(im)
            (draw.ellipse if obj % 2 else draw.rectangle)(box, fill=obj)
            index = np.array(im)
            colour = np.array([(obj * 70) % 256, (obj * 130) % 256, (obj * 200) % 256], np.uint8)
            rgb[index == obj] = colour
        if spec.get('void_frame') == t:
            index[h // 2:h // 2 + 6, 2:12] = 255
        frames.append(rgb)
        indices.append(index)
    return frames, indices


def youtube_meta(videos) -> dict:
    out = {'videos': {}}
    for name, spec in videos.items():
        stems = ['%05d' % (5 * t) for t in range(spec['frames'])]
        out['videos'][name] = {'objects': {
            str(obj): {'category': spec['categories'][obj],
                       'frames': [stems[t] for t in range(first, last + 1) if t not in absent]}
            for obj, (first, last, absent) in spec['objects'].items()}}
    return out


def build_layouts() -> dict:
    """Every file of the tiny datasets: {relative path: bytes}."""
    rng = np.random.default_rng(LAYOUT_SEED)
    files = {}
    for name, spec in YOUTUBE_VIDEOS.items():
        frames, indices = _video_frames(rng, spec)
        for t, (rgb, index) in enumerate(zip(frames, indices)):
            files[f'YouTubeVOS/train/JPEGImages/{name}/{5 * t:05d}.jpg'] = _jpeg(rgb)
            files[f'YouTubeVOS/train/Annotations/{name}/{5 * t:05d}.png'] = _png(index)
    dump = lambda d: json.dumps(d, indent=1).encode()  # noqa: E731
    files['YouTubeVOS/train/meta.json'] = dump(youtube_meta(YOUTUBE_VIDEOS))
    for part, split in (('train-train-meta.json', 'train'), ('train-val-meta.json', 'val')):
        files[f'YouTubeVOS/train/{part}'] = dump(youtube_meta(
            {n: s for n, s in YOUTUBE_VIDEOS.items() if s['split'] == split}))
    files['YouTubeVOS/valid/meta.json'] = dump({'videos': {}})
    for name, spec in DAVIS_VIDEOS.items():
        frames, indices = _video_frames(rng, spec, out_hw=(240, 427))
        for t, (rgb, index) in enumerate(zip(frames, indices)):
            files[f'DAVIS2017/JPEGImages/480p/{name}/{t:05d}.jpg'] = _jpeg(rgb)
            files[f'DAVIS2017/Annotations/480p/{name}/{t:05d}.png'] = _png(index)
    for split in ('train', 'val'):
        names = [n for n, s in DAVIS_VIDEOS.items() if s['split'] == split]
        files[f'DAVIS2017/ImageSets/2017/{split}.txt'] = ''.join(n + '\n' for n in names).encode()
    images = []
    for img_id, (h, w) in REFCOCO_IMAGES.items():
        name = 'COCO_train2014_%012d.jpg' % img_id
        files[f'refer/images/mscoco/images/train2014/{name}'] = _jpeg(_background(rng, h, w))
        images.append(dict(id=img_id, file_name=name, height=h, width=w))
    anns = [dict(id=a, image_id=i, category_id=c, segmentation=p, iscrowd=0, area=0.0,
                 bbox=[0.0, 0.0, 1.0, 1.0]) for a, (i, c, p) in REFCOCO_ANNS.items()]
    cats = [dict(id=c, name=n, supercategory=n) for c, n in REFCOCO_CATEGORIES.items()]
    files['refer/refcoco/instances.json'] = dump(dict(images=images, annotations=anns,
                                                      categories=cats))
    refs, sent_id = [], 1000
    for ref_id, ann_id, split, sents in REFCOCO_REFS:
        img_id, cat, _ = REFCOCO_ANNS[ann_id]
        sentences = []
        for s in sents:
            sentences.append(dict(raw=s, sent=s, tokens=s.split(), sent_id=sent_id))
            sent_id += 1
        refs.append(dict(ref_id=ref_id, ann_id=ann_id, image_id=img_id, category_id=cat,
                         split=split, file_name='COCO_train2014_%012d_%d.jpg' % (img_id, ann_id),
                         sentences=sentences, sent_ids=[s['sent_id'] for s in sentences]))
    files['refer/refcoco/refs(unc).p'] = pickle.dumps(refs, protocol=2)
    return files


def davis_db_info() -> str:
    """The stand-in for the original's src/dataloader/db_info.yaml (its DAVIS video list)."""
    lines = ['attributes: []', 'sets: [train, val, test-dev]', 'years: [2016, 2017]', '',
             'sequences:', '']
    for name, spec in DAVIS_VIDEOS.items():
        lines += [f'- name: {name}', '  attributes: []', f'  num_frames: {spec["frames"]}',
                  f'  set: {spec["split"]}', '  eval_t: False', '  year: 2017', '']
    return '\n'.join(lines)


# ---------------------------------------------------------------- shims
def _stub(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def scipy_imresize(arr, size, interp='bilinear', mode=None):
    """scipy 1.1 ``scipy.misc.imresize`` for uint8 arrays (toimage -> PIL resize ->
    fromimage); the original passes PIL images, which ``asarray`` turns into those."""
    data = np.asarray(arr)
    if data.dtype != np.uint8 or mode is not None:
        raise NotImplementedError('stand-in covers uint8 arrays (bytescale returns them as is)')
    if data.ndim == 2:
        im = Image.frombytes('L', (data.shape[1], data.shape[0]), data.tobytes())
    elif data.ndim == 3 and data.shape[2] == 3 and 3 not in data.shape[:2]:
        im = Image.frombytes('RGB', (data.shape[1], data.shape[0]), data.tobytes())
    else:
        raise NotImplementedError(f'stand-in covers H x W and H x W x 3, got {data.shape}')
    func = {'nearest': 0, 'lanczos': 1, 'bilinear': 2, 'bicubic': 3, 'cubic': 3}
    return np.array(im.resize((size[1], size[0]), resample=func[interp]))


def _yaml_default_loader():
    import yaml
    load = yaml.load

    def load_with_default(stream, Loader=None):
        return load(stream, Loader=Loader or yaml.FullLoader)
    yaml.load = load_with_default


class _StandInTokenizer:
    """Offline stand-in for BertTokenizer (tokens are not part of the data cases)."""

    def tokenize(self, text):
        return text.split()

    def convert_tokens_to_ids(self, tokens):
        return [len(t) for t in tokens]

    def encode(self, text, add_special_tokens=True):
        ids = self.convert_tokens_to_ids(self.tokenize(text))
        return [101] + ids + [102] if add_special_tokens else ids


# ---------------------------------------------------------------- helpers
def _to_u8(img_tensor):
    """The uint8 frame behind a ToTensor + Normalize tensor, checked bit for bit."""
    import torch
    from torchvision.transforms import functional as F
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    u8 = ((img_tensor * std + mean) * 255).round().clamp(0, 255).to(torch.uint8)
    again = F.normalize(F.to_tensor(u8.permute(1, 2, 0).numpy()), MEAN, STD)
    if not torch.equal(again, img_tensor):
        raise AssertionError('the image tensor is not ToTensor + Normalize of a uint8 frame')
    return u8.permute(1, 2, 0).numpy()


def _save(out, name, arrays, meta):
    np.savez_compressed(osp.join(out, name + '.npz'), **arrays)
    with open(osp.join(out, name + '.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')


# ---------------------------------------------------------------- workers
def run_rvos(src, tmp, dataset, out):
    """init_dataloaders of train_previous_mask.py on one tiny dataset; every train clip."""
    import random

    import torch
    cwd = osp.join(tmp, 'w', 'w')
    os.makedirs(cwd, exist_ok=True)
    os.chdir(cwd)
    argv = ['-dataset', dataset, '-length_clip', str(LENGTH_CLIP), '-gt_maxseqlen',
            str(GT_MAXSEQLEN), '-maxseqlen', str(GT_MAXSEQLEN), '-batch_size', '2',
            '-num_workers', '0', '--cpu']
    sys.argv = ['train_previous_mask.py'] + argv  # dataset.py parses sys.argv when imported
    mpl = _stub('matplotlib', use=lambda *a, **k: None)
    mpl.pyplot = _stub('matplotlib.pyplot')
    _stub('h5py')
    import scipy
    scipy.misc = _stub('scipy.misc', imresize=scipy_imresize)
    _stub('dataloader.evaluation', db_eval=None, db_eval_sequence=None, print_results=None)
    _yaml_default_loader()
    sys.path.insert(0, src)
    import train_previous_mask as tpm
    from args import get_parser
    from utils.utils import batch_to_var
    args = get_parser().parse_args(argv)
    random.seed(0)
    torch.manual_seed(0)
    loaders = tpm.init_dataloaders(args)
    ds = loaders['train'].dataset
    assert ds.augmentation_transform is None and not ds.flip, 'augmentation must be off'
    res = (256, 448) if dataset == 'youtube' else (240, 427)
    arrays, clips = {}, []
    items = []
    for i in range(len(ds)):
        random.seed(1000 + i)
        imgs, targets, seq_name, start = ds[i]
        items.append((imgs, targets, seq_name, start))
        frames = [osp.splitext(osp.basename(f))[0] for f in ds.sequence_clips[i]._files]
        first = frames.index('%05d' % start)
        u8 = np.stack([_to_u8(x) for x in imgs])
        tg = np.stack([np.asarray(t) for t in targets])  # (L, 10, H*W + 1) float64
        assert tg.shape[1:] == (GT_MAXSEQLEN, res[0] * res[1] + 1), tg.shape
        masks = tg[:, :, :-1].reshape(len(targets), GT_MAXSEQLEN, *res)
        assert set(np.unique(masks)) <= {0.0, 1.0}
        arrays[f'clip{i}/images_code'] = encode_frames(u8)
        arrays[f'clip{i}/image_sums'] = np.array([x.double().sum().item() for x in imgs])
        arrays[f'clip{i}/masks_bits'] = np.packbits(masks.astype(bool), axis=-1)
        arrays[f'clip{i}/sw_mask'] = tg[:, :, -1].astype(np.uint8)
        clips.append(dict(index=i, seq_name=seq_name, starting_frame=int(start),
                          frames=frames[first:first + len(imgs)],
                          annotation_starting_frame=int(ds.annotation_clips[i].starting_frame)))
    # one batch through the DataLoader's collate and batch_to_var, as the training loop does
    batch_idx = [len(ds) - 1, 0]
    inputs, targets, names, starts = loaders['train'].collate_fn([items[i] for i in batch_idx])
    sw_batch = []
    for ii in range(len(inputs)):
        x, y_mask, sw_mask = batch_to_var(args, inputs[ii], targets[ii])
        for b, i in enumerate(batch_idx):
            assert torch.equal(x[b], items[i][0][ii])
            assert torch.equal(y_mask[b], torch.as_tensor(items[i][1][ii][:, :-1]).float())
        sw_batch.append(sw_mask.numpy())
    arrays['batch/sw_mask'] = np.stack(sw_batch).astype(np.uint8)  # (L, B, 10)
    meta = dict(
        original='imatge-upc/rvos src/train_previous_mask.py init_dataloaders + '
                 'utils/utils.py batch_to_var',
        argv=argv, dataset=dataset, input_res=list(res), length_clip=LENGTH_CLIP,
        gt_maxseqlen=GT_MAXSEQLEN, augment=False, clips=clips,
        val_clips=[[c.name, int(c.starting_frame)] for c in loaders['val'].dataset.sequence_clips],
        batch=dict(indices=batch_idx, seq_names=list(names),
                   starting_frames=[int(s) for s in starts]),
        arrays={'clip<i>/images_code': 'encode_frames of (L, H, W, 3) uint8 RGB: the frames the '
                                       'loader resized; its tensors are ToTensor + Normalize of '
                                       'them, bit for bit',
                'clip<i>/image_sums': '(L,) float64 sums of those tensors',
                'clip<i>/masks_bits': 'np.packbits over W of (L, gt_maxseqlen, H, W) bool: '
                                      'targets[:, :, :-1] (slot = object id - 1)',
                'clip<i>/sw_mask': '(L, gt_maxseqlen) uint8: targets[:, :, -1]',
                'batch/sw_mask': '(L, B, gt_maxseqlen) uint8: batch_to_var sw_mask per frame '
                                 'of the clips batch.indices'})
    name = 'rvos_youtube_data' if dataset == 'youtube' else 'rvos_davis_data'
    _save(out, name, arrays, meta)


def run_refvos(src, tmp, out):
    """train.py's training dataset + transform on the tiny refer layout; every train ref."""
    import random

    import torch
    import torchvision
    import transformers
    argv = ['--dataset', 'refcoco', '--splitBy', 'unc', '--refer_data_root',
            osp.join(tmp, 'databases', 'refer')]
    sys.argv = ['train.py'] + argv  # dataset_refer_bert.py parses sys.argv when imported
    transformers.BertTokenizer.from_pretrained = staticmethod(
        lambda *a, **k: _StandInTokenizer())
    from torch.hub import load_state_dict_from_url
    _stub('torchvision.models.utils', load_state_dict_from_url=load_state_dict_from_url)
    mpl = _stub('matplotlib', use=lambda *a, **k: None)
    mpl.pyplot = _stub('matplotlib.pyplot')
    mpl.collections = _stub('matplotlib.collections', PatchCollection=None)
    mpl.patches = _stub('matplotlib.patches', Polygon=None, Rectangle=None)
    _stub('h5py')
    _stub('tensorflow')
    sys.path.insert(0, src)
    import importlib.util
    spec = importlib.util.spec_from_file_location('refer.refer',
                                                  osp.join(src, 'refer_utils', 'refer.py'))
    refer_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(refer_module)
    _stub('refer', refer=refer_module)
    sys.modules['refer.refer'] = refer_module
    import train
    import utils
    from args import get_parser
    args = get_parser().parse_args(argv)
    drawn = []
    get_params = torchvision.transforms.RandomCrop.get_params

    def recording_get_params(img, output_size):
        params = get_params(img, output_size)
        drawn.append([int(p) for p in params])
        return params
    torchvision.transforms.RandomCrop.get_params = staticmethod(recording_get_params)
    transform = train.get_transform(train=True, base_size=args.base_size,
                                    crop_size=args.crop_size)
    dataset, _ = train.get_dataset(args.dataset, 'train', transform, args=args)
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    arrays, samples, items = {}, [], []
    for i in range(len(dataset)):
        img, target, emb, att = dataset[i]
        items.append((img, target, emb, att))
        ref = dataset.refer.Refs[dataset.ref_ids[i]]
        image = dataset.refer.Imgs[ref['image_id']]
        arrays[f'sample{i}/image_code'] = encode_frames(_to_u8(img))
        arrays[f'sample{i}/image_sum'] = np.float64(img.double().sum().item())
        arrays[f'sample{i}/target'] = target.numpy().astype(np.uint8)  # 0, 1, 255
        samples.append(dict(index=i, ref_id=int(ref['ref_id']), ann_id=int(ref['ann_id']),
                            image_id=int(ref['image_id']), file_name=image['file_name'],
                            hw=[image['height'], image['width']], crop=drawn[-1]))
    imgs, targets, _, _ = utils.collate_fn_emb_berts(items)
    for b, (img, target, _, _) in enumerate(items):
        assert torch.equal(imgs[b], img) and torch.equal(targets[b], target)
    meta = dict(
        original='miriambellver/refvos train.py get_dataset + get_transform(train=True, '
                 'base_size=520, crop_size=480) + utils.collate_fn_emb_berts',
        argv=[x.replace(tmp, '<tmp>') for x in argv], base_size=args.base_size,
        crop_size=args.crop_size, samples=samples,
        batch_shape=list(imgs.shape),
        arrays={'sample<i>/image_code': 'encode_frames of the (480, 480, 3) uint8 RGB behind '
                                        'the image tensor (ToTensor + Normalize, bit for bit); '
                                        'padding is 0',
                'sample<i>/image_sum': 'float64 sum of the image tensor',
                'sample<i>/target': '(480, 480) uint8: the int64 target (1 referent, 0, '
                                    '255 padding)'},
        crop='per sample the (top, left, height, width) RandomCrop.get_params drew on the '
             'padded image')
    _save(out, 'refvos_refcoco_data', arrays, meta)


# ---------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rvos-src', required=True, help='imatge-upc/rvos src/ folder')
    p.add_argument('--refvos-src', required=True, help='miriambellver/refvos root')
    p.add_argument('--out', required=True)
    p.add_argument('--keep', help='write the tiny layouts here (kept) instead of a temp dir')
    p.add_argument('--worker', choices=['youtube', 'davis2017', 'refcoco'], help=argparse.SUPPRESS)
    p.add_argument('--tmp', help=argparse.SUPPRESS)
    a = p.parse_args()
    out = osp.abspath(a.out)
    if a.worker:
        if a.worker == 'refcoco':
            run_refvos(osp.abspath(a.refvos_src), a.tmp, out)
        else:
            run_rvos(osp.abspath(a.rvos_src), a.tmp, a.worker, out)
        return
    os.makedirs(out, exist_ok=True)
    files = build_layouts()
    rels = sorted(files)
    np.savez_compressed(osp.join(out, 'tiny_layouts.npz'),
                        **{f'f{i:03d}': np.frombuffer(files[r], np.uint8)
                           for i, r in enumerate(rels)})
    with open(osp.join(out, 'tiny_layouts.json'), 'w') as f:
        json.dump(dict(seed=LAYOUT_SEED, files=rels,
                       note='file i of the list is array f<i:03d> of tiny_layouts.npz, bytes '
                            'verbatim; roots: YouTubeVOS/ (data_root of YouTube-VOS, split '
                            'train), DAVIS2017/ (DAVIS root), refer/ (refer data root)',
                       youtube=YOUTUBE_VIDEOS, davis=DAVIS_VIDEOS), f, indent=1, default=str)
        f.write('\n')
    tmp = a.keep or tempfile.mkdtemp(prefix='data_cases_')
    try:
        write_layouts(files, osp.join(tmp, 'databases'))
        dl = osp.join(tmp, 'rvos', 'src', 'dataloader')
        os.makedirs(dl, exist_ok=True)
        with open(osp.join(dl, 'db_info.yaml'), 'w') as f:
            f.write(davis_db_info())
        shutil.copy(osp.join(a.rvos_src, 'dataloader', 'palette.txt'), dl)
        # config_youtubeVOS.py reads <data>/val/meta.json (the original renamed 'valid')
        ytvos = osp.join(tmp, 'databases', 'YouTubeVOS')
        os.makedirs(osp.join(ytvos, 'val'), exist_ok=True)
        shutil.copy(osp.join(ytvos, 'valid', 'meta.json'), osp.join(ytvos, 'val'))
        for worker in ('youtube', 'davis2017', 'refcoco'):
            subprocess.run([sys.executable, osp.abspath(__file__), '--rvos-src',
                            osp.abspath(a.rvos_src), '--refvos-src', osp.abspath(a.refvos_src),
                            '--out', out, '--worker', worker, '--tmp', tmp], check=True)
    finally:
        if not a.keep:
            shutil.rmtree(tmp)
    for name in sorted(os.listdir(out)):
        print(f'{name}: {osp.getsize(osp.join(out, name)) / 1e3:.0f} kB')


if __name__ == '__main__':
    main()
