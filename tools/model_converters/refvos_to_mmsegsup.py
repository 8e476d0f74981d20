"""Convert a published RefVOS checkpoint (miriambellver/refvos .pth) to an mmsegsup model.

    python tools/model_converters/refvos_to_mmsegsup.py CKPT.pth OUT [--bert-folder DIR] \
        [--tokenizer NAME_OR_DIR] [--data-root DIR]

writes OUT/config.py and OUT/model.pth (an mmengine checkpoint): the thesis-exact RefVOS with
the token limit of the checkpoint's training dataset (args.dataset: 20 tokens for RefCOCO(+),
10 for A2D and DAVIS). --bert-folder takes the BERT weights and architecture from a
HuggingFace folder instead (an MLM-pretrained BERT of the paper). --tokenizer replaces the
checkpoint's args.bert_tokenizer (bert-base-uncased, a HuggingFace id fetched at the first
sentence) by another id or a local tokenizer folder, checked against the BERT's vocabulary;
offline, 'minilm-offline' (the bundled all-MiniLM-L6-v2, whose uncased WordPiece vocabulary is
bert-base-uncased's) tokenises as the original. The config is complete for

    python tools/demo/refvos_demo.py --config OUT/config.py --checkpoint OUT/model.pth ...
    python tools/test.py OUT/config.py OUT/model.pth

its runtime, test set and evaluator read from the RefVOS config of that dataset at conversion
time, with the original test protocol (test.py): images at their own resolution (no Resize,
the logits upsampled to it) and an empty union scored IoU 0. --data-root points the dataset
(and the DAVIS evaluator) at your copy.
"""
import argparse
import sys
from typing import List, Optional

from mmengine.config import Config

from mmsegsup.formats.errors import FormatError
from mmsegsup.models.converters import config_path, convert_refvos, write_converted

# args.dataset -> the RefVOS config whose runtime and test set the converted config takes
DATASET_CONFIGS = {
    'refcoco': 'refvos/refvos_r101_refcoco-480x480.py',
    'refcoco+': 'refvos/refvos_r101_refcoco+-480x480.py',
    'a2d': 'refvos/refvos_r101_a2d-sentences-480x480.py',
    'davis': 'refvos/refvos_r101_davis-refer-480x480_ft.py',
}
RUNTIME_KEYS = ('default_scope', 'custom_imports', 'default_hooks', 'env_cfg', 'vis_backends',
                'visualizer', 'log_processor', 'log_level', 'randomness', 'test_cfg')
CLASSES = ('background', 'object')


def test_parts(dataset: str, split_by: str = 'unc', data_root: Optional[str] = None) -> dict:
    """Runtime, ``test_pipeline``, ``test_dataloader`` and ``test_evaluator`` of the converted
    config: those of the dataset's thesis RefVOS config, which follow the original test
    protocol (test.py:254-260 no resizing; :144-147 an empty union is IoU 0), with the refer
    ``splitBy`` of training."""
    base = config_path(DATASET_CONFIGS[dataset])
    cfg = Config.fromfile(base)
    loader, evaluator = cfg.test_dataloader, cfg.test_evaluator
    pipeline = loader.dataset.pipeline
    resizes = [s.type for s in pipeline if 'Resize' in s.type]
    if resizes:  # a changed config must not resize the published model's inputs silently
        raise RuntimeError(f'{base}: the original tests at the image\'s own resolution, but '
                           f'the test pipeline has {resizes}')
    if evaluator.type == 'ReferringMetric' and evaluator.get('empty_union_iou') != 0.0:
        raise RuntimeError(f'{base}: the original scores an empty union IoU 0, the test '
                           f'evaluator has empty_union_iou={evaluator.get("empty_union_iou")}')
    if dataset.startswith('refcoco'):
        loader.dataset.split_by = split_by
    if data_root is not None:
        loader.dataset.data_root = data_root
        if 'data_root' in evaluator:
            evaluator.data_root = data_root
    parts = {k: cfg[k] for k in RUNTIME_KEYS if k in cfg}
    parts.update(test_pipeline=pipeline, test_dataloader=loader, test_evaluator=evaluator)
    return Config(parts).to_dict()


def main(argv: Optional[List[str]] = None) -> int:
    """CLI entry point (callable in-process by tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='published RefVOS checkpoint (.pth)')
    parser.add_argument('out', help='output folder for config.py and model.pth')
    parser.add_argument('--bert-folder',
                        help='HuggingFace BERT folder (config.json + model.safetensors or '
                        'pytorch_model.bin) whose weights replace the checkpoint\'s bert_model')
    parser.add_argument('--tokenizer',
                        help="tokenizer id or local folder written into the config (default: "
                        "the checkpoint's args.bert_tokenizer, bert-base-uncased)")
    parser.add_argument('--data-root', help="the test dataset's root (default: the dataset "
                        "config's)")
    args = parser.parse_args(argv)
    try:
        model_cfg, state_dict, train_args = convert_refvos(args.checkpoint, args.bert_folder,
                                                           args.tokenizer)
    except (FormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    parts = test_parts(train_args.dataset, getattr(train_args, 'splitBy', 'unc'),
                       args.data_root)
    write_converted(args.out, model_cfg, state_dict, args.checkpoint, 'refvos_to_mmsegsup',
                    CLASSES, **parts)
    enc = model_cfg['text_encoder']
    print(f'wrote {args.out}/config.py and {args.out}/model.pth ({train_args.dataset}, '
          f'{enc["max_length"]} tokens, tokenizer {enc["model_name_or_path"]})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
