"""Every clip of every video as one sample: the epoch of imatge-upc/rvos."""
from typing import List, Tuple, Union

from mmengine.dataset import BaseDataset
from mmengine.dataset.base_dataset import force_full_init
from mmsegsup.registry import DATASETS


@DATASETS.register_module()
class VideoClipsDataset:
    """A video dataset (one item per video: ``YouTubeVOSDataset``, ``DAVISVideoDataset``, the
    synthetic ones) seen as all its clips: a video of ``n`` frames gives ``n // clip_len``
    samples, the consecutive non-overlapping clips starting at frames 0, ``clip_len``,
    ``2 * clip_len``, ...

    imatge-upc/rvos trains on every clip of every video each epoch (youtubeVOS.py:104-119,
    davis2017.py:135-150: ``num_clips = int(num_frames / length_clip)`` clips stepped by
    ``length_clip``; dataset.py:113-151 loads a clip's frames from its start), so an epoch sees
    each frame once. Without this wrapper the video dataset gives one random clip per video per
    epoch (``VideoClipSample``), about 5x fewer clips on YouTube-VOS for the same epochs.

    A sample is the wrapped dataset's video info with ``key_frame_id`` set to the clip's first
    frame, run through the wrapped dataset's pipeline, whose ``VideoClipSample(num_frames=
    clip_len)`` then takes exactly that clip. A video shorter than ``clip_len`` gives no
    sample: the original keeps one shorter clip for it (youtubeVOS.py:110-112, dataset.py:113),
    which its PyTorch-1.0 collate then cut the whole batch down to; here a batch's clips must
    have one length.

    Args:
        dataset: the video dataset or its config.
        clip_len: frames per clip (the original's ``-length_clip 5``).
        lazy_init: defer loading the videos until first use, as mmengine's wrappers.
    """

    def __init__(self, dataset: Union[BaseDataset, dict], clip_len: int = 5,
                 lazy_init: bool = False) -> None:
        if clip_len < 1:
            raise ValueError(f'clip_len must be >= 1, got {clip_len}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.clip_len = clip_len
        self._clips: List[Tuple[int, int]] = []
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's (classes, palette)."""
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Load the videos and list their clips as (video index, first frame)."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self._clips = [(v, c * self.clip_len) for v in range(len(self.dataset))
                       for c in range(self.dataset.get_data_info(v)['video_length']
                                      // self.clip_len)]
        self._fully_initialized = True

    @force_full_init
    def clip_index(self, idx: int) -> Tuple[int, int]:
        """(video index in the wrapped dataset, first frame) of sample ``idx``."""
        return self._clips[idx]

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        video, start = self._clips[idx]
        info = self.dataset.get_data_info(video)
        info['key_frame_id'] = start
        return info

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        return self.dataset.pipeline(self.get_data_info(idx))

    @force_full_init
    def __len__(self) -> int:
        return len(self._clips)
