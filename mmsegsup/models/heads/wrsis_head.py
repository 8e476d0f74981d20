"""W-RSIS head (thesis ch. 4.6.1): the RSIS head told at every recurrent step which class to
segment, as a preset of :class:`RSISHead`."""
from typing import Sequence

from mmdet.utils import ConfigType
from mmsegsup.registry import MODELS

from .rsis_head import RSISHead

MASKED_HUNGARIAN = [dict(type='SoftIoUCost'), dict(type='SameClassCost')]


@MODELS.register_module()
class WRSISHead(RSISHead):
    """:class:`RSISHead` with a one-hot class-token conditioner and the sIoU mask loss only.

    The tokens (fig. 4.10) are fed as the decoder's extra input; W-RSIS has only the
    segmentation output, so there is no class, box or stop branch. The matcher gets the
    same-class constraint ("masked Hungarian", table 4.6b) unless its config names its own
    ``match_costs``. See :class:`RSISHead` for training and inference with tokens.

    Args: those of :class:`RSISHead`, with these defaults: ``conditioner`` a
    ``OneHotClassToken``; ``with_bbox`` is accepted for the RSIS configs W-RSIS inherits and
    only says whether the box layer the former W-RSIS head built and dropped had its random
    draws (``replay_init``), so that seeded runs start where they did.
    """

    def __init__(self, num_classes: int, in_channels: Sequence[int],
                 conditioner: ConfigType = dict(type='OneHotClassToken'),
                 matcher: ConfigType = dict(type='HungarianMaskMatcher'),
                 with_bbox: bool = True, **kwargs) -> None:
        matcher = dict(dict(match_costs=MASKED_HUNGARIAN), **matcher)
        replay = ('cls', 'bbox', 'stop') if with_bbox else ('cls', 'stop')
        super().__init__(num_classes, in_channels, matcher=matcher, conditioner=conditioner,
                         with_cls=False, with_bbox=False, with_stop=False, replay_init=replay,
                         **kwargs)
