"""DAVIS-2017 J&F of referring predictions: merge each frame's referents, write PNGs, score."""
import shutil
import tempfile
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmsegsup.registry import SEG_METRICS as METRICS

from ...formats.index_png import write_index_png
from ...formats.palettes import DAVIS_PALETTE
from ..functional.referring_metrics import merge_object_probabilities, quantize_foreground
from .davis_metric import DAVISMetric

_META = ('video', 'object_id', 'frame_id')


def _foreground_probability(sample: dict) -> np.ndarray:
    """``(H, W)`` foreground probability from ``seg_logits`` (2 channels: softmax, 1: sigmoid)."""
    field = sample.get('seg_logits')
    if field is None or 'data' not in field:
        raise ValueError(f'sample {sample.get("expr_id")!r} has no seg_logits; '
                         f'ReferringDAVISMetric needs the logits at the original size')
    logits = torch.as_tensor(field['data']).detach().float().cpu()
    if logits.ndim != 3 or logits.shape[0] not in (1, 2):
        raise ValueError(f'sample {sample.get("expr_id")!r}: seg_logits must be (2, H, W) '
                         f'(background, referent) or (1, H, W), got {tuple(logits.shape)}')
    prob = logits.softmax(0)[1] if logits.shape[0] == 2 else logits[0].sigmoid()
    return prob.numpy()


@METRICS.register_module()
class ReferringDAVISMetric(DAVISMetric):
    """J&F of RefVOS on DAVIS-2017 with referring expressions (Khoreva et al.'s protocol).

    The model segments each object of a video separately from its expression, frame by
    frame. Per (``video``, ``object_id``, ``frame_id``) metainfo this metric keeps the
    foreground probability of ``seg_logits`` quantized to uint8 and PNG-encoded (a few KB
    per map, so results stay small when gathered from all ranks), then on the main process
    merges the objects of each frame (:func:`merge_object_probabilities`: a pixel takes the
    most probable object above 0.5), writes the DAVIS palette PNGs
    ``<outfile_dir>/<video>/<frame_id:05d>.png`` and scores them with :func:`evaluate_davis`
    (semi-supervised protocol) through :class:`DAVISMetric`, so keys are the same
    (``davis/J&F-Mean``, ``davis/J-Mean``, ``davis/F-Mean``, ...).

    Each (video, object, frame) must come once: evaluate one annotator and one expression
    kind (first-frame or full-video) per evaluator. Every frame of every evaluated video
    needs a prediction for at least one object (the official code needs each result PNG).

    Args:
        data_root: the DAVIS root with ``Annotations/480p`` and ``JPEGImages/480p``; None
            (test-dev) only writes the PNGs.
        split: the split name (reported; sequences are those predicted).
        outfile_dir: where the PNGs go (kept); default a temporary folder, removed after.
        format_only: only write the PNGs.
    """

    default_prefix = 'davis'

    def __init__(self, data_root: Optional[str] = None, split: str = 'val',
                 outfile_dir: Optional[str] = None, format_only: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        if data_root is None and not format_only:
            format_only = True  # no ground truth: PNGs only
        if format_only and outfile_dir is None:
            raise ValueError('ReferringDAVISMetric without ground truth (format_only or no '
                             'data_root) needs outfile_dir to keep the PNGs')
        super().__init__(davis_root=data_root or '', split=split, task='semi-supervised',
                         outfile_dir=outfile_dir, format_only=format_only,
                         collect_device=collect_device, prefix=prefix)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            sample = sample.to_dict() if hasattr(sample, 'to_dict') else sample
            missing = [k for k in _META if sample.get(k) is None]
            if missing:
                raise ValueError(f'sample {sample.get("expr_id")!r} lacks metainfo {missing}: '
                                 f'ReferringDAVISMetric needs video, object_id and frame_id '
                                 f'(PackSegInputs meta_keys)')
            q = quantize_foreground(_foreground_probability(sample))
            ok, png = cv2.imencode('.png', q)
            if not ok:
                raise ValueError(f'could not encode the probability map of {sample["video"]}')
            self.results.append({'video': str(sample['video']),
                                 'object_id': int(sample['object_id']),
                                 'frame_id': int(sample['frame_id']),
                                 'shape': q.shape, 'png': png.tobytes()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        frames: Dict[Tuple[str, int], Dict[int, dict]] = defaultdict(dict)
        for r in results:
            objects = frames[(r['video'], r['frame_id'])]
            if r['object_id'] in objects:
                raise ValueError(
                    f'video {r["video"]!r} object {r["object_id"]} frame {r["frame_id"]} was '
                    f'predicted twice (several expressions of one object?); evaluate one '
                    f'annotator and one expression kind at a time')
            objects[r['object_id']] = r
        if self.outfile_dir is None and self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix='referring_davis_')  # main process only
        out = self._out_dir()
        try:
            for (video, frame), objects in sorted(frames.items()):
                index = self._merge(video, frame, objects)
                write_index_png(index, self.frame_path(out, video, f'{frame:05d}'),
                                DAVIS_PALETTE)
        except BaseException:
            self._cleanup()
            raise
        return super().compute_metrics(sorted({video for video, _ in frames}))

    @staticmethod
    def _merge(video: str, frame: int, objects: Dict[int, dict]) -> np.ndarray:
        ids = sorted(objects)
        shapes = {tuple(objects[i]['shape']) for i in ids}
        if len(shapes) != 1:
            raise ValueError(f'video {video!r} frame {frame}: objects {ids} were predicted at '
                             f'different sizes {sorted(shapes)}')
        probs = np.stack([cv2.imdecode(np.frombuffer(objects[i]['png'], np.uint8),
                                       cv2.IMREAD_UNCHANGED) for i in ids])
        return merge_object_probabilities(probs, ids)

    def _cleanup(self) -> None:
        if self.outfile_dir is None and self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
