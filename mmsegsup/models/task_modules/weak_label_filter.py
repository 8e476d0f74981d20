"""The RSIS ablations between RSIS and W-RSIS (thesis table 4.6a): weak labels as a filter."""
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from ...formats.weak_labels import WEAK_LABELS_COUNTS, normalize_weak_type

WeakMeta = Tuple[List[int], Optional[Dict[int, int]]]


def weak_metainfo(meta: dict) -> WeakMeta:
    """The ``weak_tokens`` and ``weak_counts`` that ``LoadWeakLabels`` put in a sample's meta."""
    if 'weak_tokens' not in meta:
        raise KeyError(
            f'image {meta.get("img_path", meta.get("img_id"))}: no "weak_tokens" in the data '
            "sample's metainfo; add LoadWeakLabels to the test pipeline and 'weak_tokens', "
            "'weak_counts' to the meta_keys of PackDetInputs")
    return [int(t) for t in meta['weak_tokens']], meta.get('weak_counts')


def filter_by_weak_labels(res: InstanceData, tokens: Sequence[int],
                          counts: Optional[Dict[int, int]]) -> InstanceData:
    """No instance without image labels; with ``counts`` (+C), of each class ``c`` the first
    ``counts[c]`` instances in step order."""
    if not tokens:
        return res[:0]
    if counts is None:
        return res
    seen: Counter = Counter()
    keep = []
    for i, label in enumerate(res.labels.tolist()):
        seen[label] += 1
        if seen[label] <= counts.get(label, 0):
            keep.append(i)
    return res[torch.as_tensor(keep, dtype=torch.long, device=res.labels.device)]


class WeakLabelFilter:
    """The ``test_cfg.weak_filter`` post-processor of :class:`RSISHead` (IL / IL+C aliases):

    * ``'labels'`` (RSIS + IL): the class softmax is taken over the classes of the image labels
      only (the other logits are masked out), so every prediction has a class the image holds;
      an image with no labels gets no instance.
    * ``'labels+counts'`` (RSIS + IL + C): in addition, of each class only the first ``n``
      instances in step order are kept, ``n`` its count. The stop rule still decides how many
      steps run, so instances RSIS stops before are still missed (which W-RSIS fixes).

    The weak labels come from the metainfo (``weak_tokens``, ``weak_counts``) that
    ``LoadWeakLabels`` adds to the test pipeline.

    Args:
        weak_type: ``'labels'`` or ``'labels+counts'`` (or an alias).
        num_classes: object classes of the weak labels.
        class_offset: index of object class 0 among the logits (1 with RSIS's ``eos_class``).
    """

    def __init__(self, weak_type: str, num_classes: int, class_offset: int = 0) -> None:
        self.weak_type = normalize_weak_type(weak_type)
        self.num_classes = num_classes
        self.class_offset = class_offset

    def weak(self, meta: dict) -> WeakMeta:
        """An image's tokens and counts, checked against this filter's type and classes."""
        tokens, counts = weak_metainfo(meta)
        if self.weak_type == WEAK_LABELS_COUNTS and counts is None:
            raise ValueError(f'image {meta.get("img_path")}: weak_filter {WEAK_LABELS_COUNTS!r} '
                             "needs counts; load weak labels with weak_type='labels+counts'")
        if any(not 0 <= t < self.num_classes for t in tokens):
            raise ValueError(f'image {meta.get("img_path")}: weak label classes {tokens} '
                             f'outside 0..{self.num_classes - 1}')
        return tokens, counts

    def class_logits(self, logits: Tensor, metas: Sequence[dict]) -> Tensor:
        """``(B, T, C)`` logits with the classes outside each image's labels masked out."""
        present = torch.zeros((len(metas), logits.shape[-1]), dtype=torch.bool,
                              device=logits.device)
        for b, meta in enumerate(metas):
            present[b, [t + self.class_offset for t in self.weak(meta)[0]]] = True
        return logits.masked_fill(~present[:, None], torch.finfo(logits.dtype).min)

    def __call__(self, results: List[InstanceData], metas: Sequence[dict]
                 ) -> List[InstanceData]:
        """Each image's instances filtered by its weak labels."""
        out = []
        for res, meta in zip(results, metas):
            tokens, counts = self.weak(meta)
            with_counts = self.weak_type == WEAK_LABELS_COUNTS
            out.append(filter_by_weak_labels(res, tokens, counts if with_counts else None))
        return out
