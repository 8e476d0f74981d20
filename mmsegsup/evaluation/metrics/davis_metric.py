"""DAVIS J&F as an MMEngine metric: writes the submission PNGs, scores them officially."""
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.evaluator import BaseMetric

from ...datasets.synthetic_videos import DAVIS_PALETTE
from ...utils.io import save_index_png_atomic
from ..davis_eval import GLOBAL_COLUMNS, evaluate_davis


@METRICS.register_module()
class DAVISMetric(BaseMetric):
    """Writes each predicted frame as a DAVIS palette PNG (``<out>/<seq>/<frame>.png``, the
    official submission layout) and evaluates the folder with :func:`evaluate_davis`, so the
    numbers are those of the standalone CLI and of the official evaluation.

    Args:
        davis_root: the DAVIS-layout root with the ground truth.
        split: the ``ImageSets`` split the sequences come from.
        task: 'semi-supervised' or 'unsupervised'.
        outfile_dir: where the PNGs go (kept); default a temporary folder, removed afterwards.
        format_only: only write the PNGs (test-dev submissions), return no metrics.
    """

    default_prefix = 'davis'

    def __init__(self, davis_root: str, split: str = 'val', task: str = 'semi-supervised',
                 outfile_dir: Optional[str] = None, format_only: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.davis_root, self.split, self.task = davis_root, split, task
        self.format_only = format_only
        self.outfile_dir = outfile_dir
        self._tmp = None

    def _out_dir(self) -> str:
        if self.outfile_dir is not None:
            return self.outfile_dir
        if self._tmp is None:  # one folder shared by all ranks
            path = [tempfile.mkdtemp(prefix='davis_results_') if is_main_process() else None]
            broadcast_object_list(path)
            self._tmp = path[0]
        return self._tmp

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        out = self._out_dir()
        for video in data_samples:
            frames = [f.to_dict() if hasattr(f, 'to_dict') else f
                      for f in video['video_data_samples']]
            name = frames[0]['video_name']
            for frame in frames:
                pred = frame['pred_track_instances']
                h, w = frame['ori_shape'][:2]
                index = np.zeros((h, w), np.uint8)
                for mask, obj in zip(pred['masks'].cpu().numpy(),
                                     pred['instances_ids'].tolist()):
                    index[mask] = obj
                save_index_png_atomic(index, osp.join(out, name, frame['frame_name'] + '.png'),
                                      DAVIS_PALETTE)
            self.results.append(name)

    def compute_metrics(self, results: List[str]) -> Dict[str, float]:
        out = self._out_dir()
        try:
            if self.format_only:
                return {}
            scores = evaluate_davis(self.davis_root, out, task=self.task, split=self.split,
                                    sequences=sorted(set(results)), progress=False)
            return {k: float(scores[k]) for k in GLOBAL_COLUMNS}
        finally:
            if self.outfile_dir is None and self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None
