"""DAVIS J&F as an MMEngine metric: writes the submission PNGs, scores them officially."""
from typing import Dict, List, Optional

from mmsegsup.registry import METRICS

from ..davis_eval import GLOBAL_COLUMNS, evaluate_davis
from .vos_results_metric import VOSResultsMetric, frame_png


@METRICS.register_module()
class DAVISMetric(VOSResultsMetric):
    """Writes each predicted frame as a DAVIS palette PNG (``<out>/<seq>/<frame>.png``, the
    official submission layout) and evaluates the folder with :func:`evaluate_davis`, so the
    numbers are those of the standalone CLI and of the official evaluation.

    Args:
        davis_root: the DAVIS-layout root with the ground truth.
        split: the ``ImageSets`` split the sequences come from.
        task: 'semi-supervised' or 'unsupervised'.
        outfile_dir / format_only: see :class:`VOSResultsMetric` (test-dev: format only).
    """

    default_prefix = 'davis'

    def __init__(self, davis_root: str, split: str = 'val', task: str = 'semi-supervised',
                 outfile_dir: Optional[str] = None, format_only: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(outfile_dir=outfile_dir, format_only=format_only,
                         collect_device=collect_device, prefix=prefix)
        self.davis_root, self.split, self.task = davis_root, split, task

    def frame_path(self, out_dir: str, video: str, frame: str) -> str:
        return frame_png(out_dir, video, frame)

    def score(self, out_dir: str, videos: List[str]) -> Dict[str, float]:
        scores = evaluate_davis(self.davis_root, out_dir, task=self.task, split=self.split,
                                sequences=videos, progress=False)
        return {k: float(scores[k]) for k in GLOBAL_COLUMNS}
