"""YouTube-VOS J/F seen and unseen as an MMEngine metric, in the submission layout."""
import os
import os.path as osp
import zipfile
from typing import Dict, List, Optional, Sequence

from mmsegsup.registry import METRICS

from ..youtube_vos_eval import GLOBAL_COLUMNS, evaluate_youtube_vos
from .vos_results_metric import VOSResultsMetric, frame_png


@METRICS.register_module()
class YouTubeVOSMetric(VOSResultsMetric):
    """Writes ``<out>/Annotations/<video>/<frame>.png`` (the layout the YouTube-VOS server
    takes, zipped into ``<out>/submission.zip`` with ``zip_submission``) and, when the split has
    ground truth (a held-out part of ``train``), scores it with :func:`evaluate_youtube_vos`.

    Args:
        data_root: the YouTube-VOS root (``<data_root>/<split>/meta.json`` ...).
        split: the folder evaluated.
        seen_categories / train_meta: the seen categories, given or taken from a training
            meta.json (then videos under evaluation do not count, so the 80/20 split of
            ``train`` is scored against the 80% part).
        zip_submission: also pack ``submission.zip``.
        outfile_dir / format_only: see :class:`VOSResultsMetric` (``valid``: format only).
    """

    default_prefix = 'youtube_vos'

    def __init__(self, data_root: str, split: str = 'train',
                 seen_categories: Optional[Sequence[str]] = None,
                 train_meta: Optional[str] = None, zip_submission: bool = False,
                 outfile_dir: Optional[str] = None, format_only: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(outfile_dir=outfile_dir, format_only=format_only,
                         collect_device=collect_device, prefix=prefix)
        if not format_only and (seen_categories is None) == (train_meta is None):
            raise ValueError('YouTubeVOSMetric needs exactly one of seen_categories or '
                             'train_meta to split the scores into seen and unseen')
        self.data_root, self.split = data_root, split
        self.seen_categories, self.train_meta = seen_categories, train_meta
        self.zip_submission = zip_submission

    def frame_path(self, out_dir: str, video: str, frame: str) -> str:
        return frame_png(osp.join(out_dir, 'Annotations'), video, frame)

    def finish(self, out_dir: str, videos: List[str]) -> None:
        if not self.zip_submission:
            return
        ann = osp.join(out_dir, 'Annotations')
        tmp = osp.join(out_dir, '.submission.zip.tmp')
        with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as zf:
            for video in videos:
                for name in sorted(os.listdir(osp.join(ann, video))):
                    zf.write(osp.join(ann, video, name), f'Annotations/{video}/{name}')
        os.replace(tmp, osp.join(out_dir, 'submission.zip'))

    def score(self, out_dir: str, videos: List[str]) -> Dict[str, float]:
        scores = evaluate_youtube_vos(self.data_root, osp.join(out_dir, 'Annotations'),
                                      split=self.split, seen_categories=self.seen_categories,
                                      train_meta=self.train_meta, videos=videos)
        return {k: float(scores[k]) for k in GLOBAL_COLUMNS}
