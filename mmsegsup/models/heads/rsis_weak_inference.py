"""RSIS whose predictions are constrained by the image's weak labels (ablation, table 4.6a)."""
from mmdet.utils import OptConfigType
from mmsegsup.registry import MODELS

from ...formats.weak_labels import WEAK_LABELS
from .rsis_head import RSISHead


@MODELS.register_module()
class RSISWeakInferenceHead(RSISHead):
    """:class:`RSISHead` whose ``test_cfg.weak_filter`` defaults to ``'labels'`` (RSIS + IL).

    Training is RSIS's, so an RSIS checkpoint can be tested with this head; ``weak_filter=
    'labels+counts'`` gives RSIS + IL + C (see
    :class:`~mmsegsup.models.task_modules.WeakLabelFilter`).
    """

    def __init__(self, *args, test_cfg: OptConfigType = None, **kwargs) -> None:
        super().__init__(*args, test_cfg=dict(dict(weak_filter=WEAK_LABELS), **(test_cfg or {})),
                         **kwargs)
