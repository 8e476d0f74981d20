"""One sample per referred object with its sentence drawn anew each time it is read.

The original RefVOS code trains on one sample per referred object (RefCOCO: a ref; DAVIS: an
object in a frame, its sentences from both annotators) and picks one of the object's
sentences with ``np.random.choice`` in ``__getitem__`` (dataset_refer_bert.py:123-127,
davis2017.py:158-162), so an epoch has one sample per object whatever its sentence count.
Datasets fold their per-sentence samples with :func:`fold_sentences` and unfold one at read
time with :func:`draw_sentence`.
"""
from typing import List

import numpy as np

SENTENCES_KEY = 'sentences'


def fold_sentences(samples: List[dict]) -> dict:
    """The first of ``samples`` (per-sentence samples of one object) carrying every sample's
    ``(expr_id, expression)`` under ``'sentences'``."""
    if not samples:
        raise ValueError('fold_sentences needs at least one sample')
    folded = dict(samples[0])
    folded[SENTENCES_KEY] = [(s['expr_id'], s['expression']) for s in samples]
    return folded


def draw_sentence(info: dict) -> dict:
    """``info`` with one of its ``'sentences'`` drawn as ``expr_id`` / ``expression`` (NumPy's
    global generator, as the original; mmengine's ``worker_init_fn`` seeds it per worker);
    a sample without ``'sentences'`` is returned unchanged."""
    sentences = info.pop(SENTENCES_KEY, None)
    if sentences:
        info['expr_id'], info['expression'] = sentences[np.random.randint(len(sentences))]
    return info
