"""Shared base of the video object segmentation metrics: write submission PNGs, then score."""
import os.path as osp
import shutil
from abc import abstractmethod
import tempfile
from typing import Dict, List, Optional, Sequence

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.evaluator import BaseMetric

from ...formats.index_png import write_index_png
from ...formats.palettes import DAVIS_PALETTE
from ...models.vos.inference_core import id_map


class VOSResultsMetric(BaseMetric):
    """Writes each predicted frame as a palette PNG of object ids at
    :meth:`frame_path` and, unless ``format_only``, scores the folder with :meth:`score`
    (the benchmark's own evaluation, so the numbers are those of the standalone CLIs).

    Args:
        outfile_dir: where the PNGs go (kept); default a temporary folder, removed afterwards.
        format_only: only write the PNGs (for a server submission), return no metrics.
    """

    def __init__(self, outfile_dir: Optional[str] = None, format_only: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.format_only = format_only
        self.outfile_dir = outfile_dir
        self._tmp = None

    @abstractmethod
    def frame_path(self, out_dir: str, video: str, frame: str) -> str:
        """Where the PNG of ``frame`` of ``video`` goes (the benchmark's layout)."""

    @abstractmethod
    def score(self, out_dir: str, videos: List[str]) -> Dict[str, float]:
        """The benchmark's metrics of the PNGs written under ``out_dir``."""

    def finish(self, out_dir: str, videos: List[str]) -> None:
        """Hook after all PNGs are written (e.g. packing a submission archive)."""

    def _out_dir(self) -> str:
        if self.outfile_dir is not None:
            return self.outfile_dir
        if self._tmp is None:  # one folder shared by all ranks
            path = [tempfile.mkdtemp(prefix='vos_results_') if is_main_process() else None]
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
                index = id_map(pred['masks'].cpu().numpy(), pred['instances_ids'].tolist(),
                               frame['ori_shape'][:2])
                write_index_png(index, self.frame_path(out, name, frame['frame_name']),
                                DAVIS_PALETTE)
            self.results.append(name)

    def compute_metrics(self, results: List[str]) -> Dict[str, float]:
        out = self._out_dir()
        videos = sorted(set(results))
        try:
            self.finish(out, videos)
            return {} if self.format_only else self.score(out, videos)
        finally:
            if self.outfile_dir is None and self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None


def frame_png(root: str, video: str, frame: str) -> str:
    """``<root>/<video>/<frame>.png``: the DAVIS and YouTube-VOS results layout."""
    return osp.join(root, video, frame + '.png')
