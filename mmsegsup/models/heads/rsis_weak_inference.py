"""RSIS whose predictions are constrained by the image's weak labels (ablation, table 4.6a)."""
from collections import Counter
from typing import Dict, List, Optional, Tuple

import torch
from mmsegsup.registry import MODELS
from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor

from ...formats.weak_labels import WEAK_LABELS, WEAK_LABELS_COUNTS, normalize_weak_type
from .rsis_head import RSISHead
from .wrsis_head import WeakMeta, weak_metainfo


@MODELS.register_module()
class RSISWeakInferenceHead(RSISHead):
    """The RSIS ablation modes between RSIS and W-RSIS: weak labels as post-processing only.

    Training is RSIS's, so an RSIS checkpoint can be tested with this head. ``test_cfg`` key
    ``weak_filter`` (IL / IL+C aliases accepted):

    * ``'labels'`` (RSIS + IL): the class softmax is taken over the classes of the image labels
      only (the other logits are masked out), so every prediction has a class the image holds;
      an image with no labels gets no instance.
    * ``'labels+counts'`` (RSIS + IL + C): in addition, of each class only the first ``n``
      instances in step order are kept, ``n`` its count. The stop rule still decides how many
      steps run, so instances RSIS stops before are still missed (which W-RSIS fixes).

    The weak labels come from the metainfo (``weak_tokens``, ``weak_counts``) that
    ``LoadWeakLabels`` adds to the test pipeline.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.weak_filter = normalize_weak_type(self.test_cfg.get('weak_filter', WEAK_LABELS))

    def _class_logits(self, out: Dict[str, Tensor], metas: List[dict]) -> Tensor:
        """+IL: logits of classes outside the image labels are masked out."""
        logits = out['cls_logits']
        present = torch.zeros((len(metas), self.num_classes), dtype=torch.bool,
                              device=logits.device)
        for b, meta in enumerate(metas):
            present[b, self._weak(meta)[0]] = True
        return logits.masked_fill(~present[:, None], torch.finfo(logits.dtype).min)

    def predict(self, x: Tuple[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> List[InstanceData]:
        results = super().predict(x, batch_data_samples, rescale)
        weak = [self._weak(s.metainfo) for s in batch_data_samples]
        return [self._filter(res, tokens, counts) for res, (tokens, counts) in zip(results, weak)]

    def _weak(self, meta: dict) -> WeakMeta:
        tokens, counts = weak_metainfo(meta)
        if self.weak_filter == WEAK_LABELS_COUNTS and counts is None:
            raise ValueError(f'image {meta.get("img_path")}: weak_filter {WEAK_LABELS_COUNTS!r} '
                             "needs counts; load weak labels with weak_type='labels+counts'")
        if any(not 0 <= t < self.num_classes for t in tokens):
            raise ValueError(f'image {meta.get("img_path")}: weak label classes {tokens} '
                             f'outside 0..{self.num_classes - 1}')
        return tokens, counts

    def _filter(self, res: InstanceData, tokens: List[int],
                counts: Optional[Dict[int, int]]) -> InstanceData:
        """No instance without image labels; under +C, the first ``counts[c]`` of class c."""
        if not tokens:
            return res[:0]
        if self.weak_filter != WEAK_LABELS_COUNTS:
            return res
        seen: Counter = Counter()
        keep = []
        for i, label in enumerate(res.labels.tolist()):
            seen[label] += 1
            if seen[label] <= counts.get(label, 0):
                keep.append(i)
        return res[torch.as_tensor(keep, dtype=torch.long, device=res.labels.device)]
