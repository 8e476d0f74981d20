"""Milliseconds per frame of RefVOS (DeepLabv3 ResNet-101 OS8 + a BERT-style encoder) on CPU.

    python benchmarks/refvos_speed.py [--frames 2] [--size 480] [--threads 2]

A video of ``--frames`` random frames is segmented with one sentence, either with the sentence
encoded once for the video (the normal path: the eval-mode encoder memoises it, and
``inference_referring`` encodes it once) or once per frame (memoisation off), for two text
encoders: the bundled MiniLM (all-MiniLM-L6-v2) and a BERT-base built from ``BertConfig()``
with random weights (same architecture and cost as ``bert-base-uncased``; the hub is not
reachable). The visual model is our variant's
(``configs/_base_/models/refvos_r101_mmsegsup.py``) with random weights, built once and
shared by both encoders (only the sentence projection differs); one warm-up frame is not
timed. At 480x480 a frame costs seconds on a laptop CPU, so the default video is short.
"""
import argparse
import os.path as osp
import tempfile
import time
from typing import Dict

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASE_MODEL = osp.join(REPO, 'configs/_base_/models/refvos_r101_mmsegsup.py')
SENTENCE = 'the man in the red shirt riding the bike on the left'


def bert_base_folder(tmp: str) -> str:
    """A local HF folder: BERT-base config (random weights) + the MiniLM tokenizer (the same
    uncased WordPiece vocabulary as bert-base-uncased)."""
    from transformers import AutoTokenizer, BertConfig, BertModel
    from mmsegsup.models.text.hf_text_encoder import resolve_text_model
    torch.manual_seed(0)
    BertModel(BertConfig()).save_pretrained(tmp)
    AutoTokenizer.from_pretrained(resolve_text_model('minilm-offline')).save_pretrained(tmp)
    return tmp


def build(size: int):
    """The thesis's RefVOS (random weights) with the MiniLM encoder, in eval mode."""
    import mmsegsup  # noqa: F401
    from mmsegsup.registry import SEG_MODELS as MODELS
    cfg = Config.fromfile(BASE_MODEL)
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor.size = (size, size)
    cfg.model.text_encoder.model_name_or_path = 'minilm-offline'
    with DefaultScope.overwrite_default_scope('mmsegsup_seg'):
        model = MODELS.build(cfg.model)
    return model.eval()


def use_encoder(model, encoder_path: str) -> None:
    """Swap in another text encoder and a sentence projection of its width."""
    from mmsegsup.models.text.hf_text_encoder import HFTextEncoder
    model.text_encoder = HFTextEncoder(encoder_path, pooling='cls').eval()
    width = model.text_encoder.out_channels
    model.decode_head.text_channels = width
    model.decode_head.text_proj = torch.nn.Linear(width, model.decode_head.channels)


def time_video(model, frames: int, size: int, once: bool) -> float:
    """ms per frame over ``frames`` frames, the sentence's encoding(s) included."""
    from mmseg.structures import SegDataSample
    encoder = model.text_encoder
    encoder.cache_size = 256 if once else 0
    encoder._cache.clear()
    gen = torch.Generator().manual_seed(0)
    shape = (size, size)
    meta = dict(ori_shape=shape, img_shape=shape, pad_shape=shape, expression=SENTENCE,
                expr_id='bench')

    def frame() -> dict:
        img = torch.randint(0, 256, (3, size, size), generator=gen, dtype=torch.uint8)
        return dict(inputs=[img], data_samples=[SegDataSample(metainfo=dict(meta))])

    with torch.no_grad():
        start = time.perf_counter()
        for _ in range(frames):
            model.test_step(frame())
        return 1000.0 * (time.perf_counter() - start) / frames


def text_ms(model, repeats: int = 3) -> float:
    encoder = model.text_encoder
    encoder.cache_size = 0
    with torch.no_grad():
        encoder([SENTENCE])
        start = time.perf_counter()
        for _ in range(repeats):
            encoder([SENTENCE])
    return 1000.0 * (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--frames', type=int, default=2, help='timed frames per video')
    parser.add_argument('--size', type=int, default=480, help='frame side in pixels')
    parser.add_argument('--threads', type=int, default=2, help='torch CPU threads')
    args = parser.parse_args()
    if args.frames < 1 or args.size < 32 or args.threads < 1:
        parser.error('need --frames >= 1, --size >= 32 and --threads >= 1')
    torch.set_num_threads(args.threads)
    rows: Dict[str, tuple] = {}
    model = build(args.size)
    time_video(model, 1, args.size, True)  # warm-up
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in (('MiniLM-L6 (384-d)', 'minilm-offline'),
                           ('BERT-base (768-d)', bert_base_folder(tmp))):
            use_encoder(model, path)
            rows[name] = (text_ms(model), time_video(model, args.frames, args.size, True),
                          time_video(model, args.frames, args.size, False))
    print(f'RefVOS ResNet-101 OS8, {args.size}x{args.size}, CPU, {args.threads} threads, '
          f'{args.frames} frames per video (torch {torch.__version__})')
    print('| text encoder | sentence (ms) | once per video (ms/frame) | '
          'once per frame (ms/frame) |')
    print('|---|---|---|---|')
    for name, (text, once, each) in rows.items():
        print(f'| {name} | {text:.0f} | {once:.0f} | {each:.0f} |')


if __name__ == '__main__':
    main()
