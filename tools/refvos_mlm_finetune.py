"""Fine-tune RefVOS's BERT on a dataset's referring expressions with the masked-LM loss.

Thesis 6.3: before the segmentation training, BERT is fine-tuned for one epoch with the MLM
loss on the expressions of the training set. This tool does that and saves the *encoder*
(BertModel weights, with its original pooler, + tokenizer + config) so that
``HFTextEncoder(model_name_or_path=OUT)`` or ``text_encoder=dict(model_name_or_path=OUT)``
loads it.

    python tools/refvos_mlm_finetune.py --config configs/refvos/<cfg>.py --out work_dirs/bert_mlm
    python tools/refvos_mlm_finetune.py --expressions sentences.txt --model bert-base-uncased \
        --out work_dirs/bert_mlm --epochs 1 --lr 3e-5 --batch-size 32

``--config`` builds ``train_dataloader.dataset`` and reads each sample's ``expression`` through
``get_data_info`` (no image is read); samples sharing an ``expr_id`` (the frames of one video
expression) count once. ``--expressions`` is a text file with one sentence per line.

The MLM head (``cls.predictions``) comes from the checkpoint when it has one
(``bert-base-uncased``); all-MiniLM-L6-v2 ('minilm-offline') ships none, so it starts random and
its loss starts high (about ln(30522) = 10.3): expect a large drop driven mostly by the head.
The output folder is written to a temp folder and renamed (atomic); it also holds
``mlm_finetune.json`` (arguments, losses).
"""
import argparse
import math
import os
import os.path as osp
import random
import shutil
import tempfile
import time
from typing import List, Optional, Sequence

import numpy as np
import torch

from mmsegsup.formats.errors import FormatError
from mmsegsup.models.text.hf_text_encoder import resolve_text_model
from mmsegsup.utils.io import dump_json_atomic


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Masked-LM fine-tuning of the RefVOS BERT')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--config', help='a config whose train_dataloader.dataset gives the '
                        'expressions')
    source.add_argument('--expressions', help='a text file, one expression per line')
    parser.add_argument('--model', default='minilm-offline',
                        help="HF id, local folder, or 'minilm-offline' (default)")
    parser.add_argument('--out', required=True, help='folder for the fine-tuned encoder')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--lr', type=float, default=3e-5)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--mask-prob', type=float, default=0.15)
    parser.add_argument('--max-length', type=int, default=40,
                        help='tokens incl. [CLS]/[SEP]; longer expressions are truncated')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args(argv)
    for name in ('epochs', 'batch_size', 'max_length'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if not 0 < args.mask_prob < 1:
        parser.error('--mask-prob must be in (0, 1)')
    if args.lr <= 0:
        parser.error('--lr must be > 0')
    return args


def read_expressions_file(path: str) -> List[str]:
    """Non-empty lines of a UTF-8 text file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'expressions file {path} not found')
    with open(path, encoding='utf-8') as f:
        sentences = [line.strip() for line in f if line.strip()]
    if not sentences:
        raise FormatError(f'{path}: no expression (expected one sentence per line)')
    return sentences


def dataset_expressions(config: str) -> List[str]:
    """The expressions of a config's training set, one per ``expr_id``, images not read."""
    from mmengine.config import Config
    from mmengine.dataset import ClassBalancedDataset, RepeatDataset
    from mmengine.registry import DATASETS, DefaultScope

    import mmsegsup  # noqa: F401  (registers the referring datasets)
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} not found')
    cfg = Config.fromfile(config)
    if 'train_dataloader' not in cfg or 'dataset' not in cfg.train_dataloader:
        raise ValueError(f'{config}: no train_dataloader.dataset')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmsegsup_seg')):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    while isinstance(dataset, (RepeatDataset, ClassBalancedDataset)):
        dataset = dataset.dataset  # repeats would count expressions several times
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    sentences, seen = [], set()
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        expr = info.get('expression')
        if not isinstance(expr, str) or not expr.strip():
            raise FormatError(f'{config}: sample {i} ({info.get("img_path")}) of '
                              f'{type(dataset).__name__} has no expression')
        key = info.get('expr_id', i)
        if key not in seen:
            seen.add(key)
            sentences.append(expr.strip())
    if not sentences:
        raise FormatError(f'{config}: the training set has no sample')
    return sentences


def _batches(features: list, order: Sequence[int], batch_size: int, collator) -> list:
    return [collator([features[j] for j in order[i:i + batch_size]])
            for i in range(0, len(order), batch_size)]


def _step_loss(model, batch: dict, device: str):
    """Mean MLM loss of a batch and its number of masked tokens (0: nothing to predict)."""
    n = int((batch['labels'] != -100).sum())
    if n == 0:
        return None, 0
    batch = {k: v.to(device) for k, v in batch.items()}
    return model(**batch).loss, n


@torch.no_grad()
def evaluate(model, batches: list, device: str) -> float:
    """Token-weighted mean MLM loss over fixed (pre-masked) batches."""
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        loss, n = _step_loss(model, batch, device)
        if n:
            total += float(loss) * n
            count += n
    return total / max(count, 1)


def save_encoder_atomic(encoder, tokenizer, out: str, overwrite: bool, record: dict) -> None:
    """Write the encoder folder next to ``out`` and rename it into place."""
    out = osp.abspath(out)
    if osp.exists(out) and not overwrite:
        raise FileExistsError(f'{out} exists; pass --overwrite to replace it')
    parent = osp.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix='.tmp-mlm-')
    try:
        encoder.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        dump_json_atomic(record, osp.join(tmp, 'mlm_finetune.json'))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the usual permissions
        for name in os.listdir(tmp):
            os.chmod(osp.join(tmp, name), 0o666 & ~umask)
        if osp.exists(out):
            old = tempfile.mkdtemp(dir=parent, prefix='.old-mlm-')
            os.replace(out, osp.join(old, 'out'))
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        if osp.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if osp.exists(args.out) and not args.overwrite:  # fail before training, not after
        raise FileExistsError(f'{args.out} exists; pass --overwrite to replace it')
    from transformers import (AutoModel, AutoTokenizer, BertForMaskedLM,
                              DataCollatorForLanguageModeling)
    from transformers.utils import logging as hf_logging
    sentences = (read_expressions_file(args.expressions) if args.expressions
                 else dataset_expressions(args.config))
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    source = resolve_text_model(args.model)
    local = osp.isdir(source)
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its load report is summarised below
    try:
        mlm, info = BertForMaskedLM.from_pretrained(source, local_files_only=local,
                                                    output_loading_info=True)
    finally:
        hf_logging.set_verbosity(verbosity)
    random_head = sorted(k for k in info['missing_keys'] if k.startswith('cls.'))
    encoder = AutoModel.from_pretrained(source, local_files_only=local)  # keeps the pooler
    mlm.to(args.device)
    print(f'{len(sentences)} expressions, model {args.model} ({source}); MLM head '
          f'{"randomly initialised (not in the checkpoint)" if random_head else "pretrained"}')

    features = [tokenizer(s, truncation=True, max_length=args.max_length) for s in sentences]
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=True,
                                               mlm_probability=args.mask_prob)
    # the same masked batches before and after, so the two losses compare
    eval_batches = _batches(features, range(len(features)), args.batch_size, collator)
    loss_before = evaluate(mlm, eval_batches, args.device)
    print(f'MLM loss before: {loss_before:.4f}')

    steps = args.epochs * math.ceil(len(features) / args.batch_size)
    optimizer = torch.optim.AdamW(mlm.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: 1 - i / steps)
    start, step = time.time(), 0
    for epoch in range(args.epochs):
        mlm.train()
        order = torch.randperm(len(features)).tolist()
        for batch in _batches(features, order, args.batch_size, collator):
            loss, n = _step_loss(mlm, batch, args.device)
            step += 1
            if n:
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            schedule.step()
        print(f'epoch {epoch + 1}/{args.epochs}: {step}/{steps} steps, '
              f'{time.time() - start:.1f} s')
    loss_after = evaluate(mlm, eval_batches, args.device)
    print(f'MLM loss after: {loss_after:.4f}')

    missing, unexpected = encoder.load_state_dict(mlm.base_model.state_dict(), strict=False)
    if unexpected or any(not k.startswith('pooler.') for k in missing):
        raise RuntimeError(f'the MLM encoder does not match {source}: missing {missing}, '
                           f'unexpected {unexpected}')
    record = dict(model=args.model, source=source, expressions=len(sentences),
                  epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                  mask_prob=args.mask_prob, max_length=args.max_length, seed=args.seed,
                  random_mlm_head=bool(random_head), loss_before=loss_before,
                  loss_after=loss_after, steps=steps)
    save_encoder_atomic(encoder.cpu(), tokenizer, args.out, args.overwrite, record)
    print(f'saved the fine-tuned encoder to {args.out}')
    return record


if __name__ == '__main__':
    main()
