"""The ``active_learning`` dict of a loop config: defaults, checks and what a strategy needs."""
import copy

from mmengine.config import Config, ConfigDict

from ..annotators.exchange import check_tools
from ..apis.stages import find_config
from ..formats.weak_labels import normalize_weak_type
from . import crossfit as xfit
from .selectors import build_selector

LABEL_SOURCES = ('ground_truth', 'human')
DEFAULTS = dict(annotator_options={}, rounds=1, seeds=[0], labels='ground_truth',
                metric='coco/segm_mAP_50', weak_type=None, weak_file=None, mc_passes=5,
                score_ground_truth=None, results_csv='al_results.csv',
                selections_csv='al_selections.csv', tool_process=True, crossfit=None,
                executor=dict(type='local'), resources=dict(num_cpus=1, num_gpus=0), retries=0,
                launcher='none', prefill=True, prefill_iou=0.5, annotation_tool='label_studio',
                image_url=None)


def load_settings(loop_cfg: str) -> ConfigDict:
    """The ``active_learning`` dict of a loop config with defaults and checks."""
    cfg = Config.fromfile(loop_cfg)
    if 'active_learning' not in cfg:
        raise KeyError(f'{loop_cfg}: no `active_learning = dict(...)` '
                       '(see mmsegsup.active_learning.loop)')
    al = ConfigDict(copy.deepcopy(DEFAULTS))
    al.update(cfg.active_learning)
    for key in ('annotator', 'num_initial', 'num_per_round', 'strategies'):
        if key not in al:
            raise KeyError(f'{loop_cfg}: active_learning.{key} is required')
    if al.labels not in LABEL_SOURCES:
        raise ValueError(f'{loop_cfg}: active_learning.labels must be one of {LABEL_SOURCES}, '
                         f'got {al.labels!r}')
    if not isinstance(al.rounds, int) or al.rounds < 1:
        raise ValueError(f'{loop_cfg}: active_learning.rounds must be >= 1, got {al.rounds!r}')
    if not al.strategies:
        raise ValueError(f'{loop_cfg}: active_learning.strategies is empty')
    names = [build_selector(s).name for s in al.strategies]  # checks beta, modes, types
    if len(set(names)) != len(names):
        raise ValueError(f'{loop_cfg}: two strategies share a name: {names}')
    al.annotator = find_config(al.annotator, loop_cfg, 'active_learning.annotator')
    if al.crossfit is not None or any(needs(s, 'crossfit') for s in al.strategies):
        al.crossfit = xfit.settings(al.crossfit or {}, loop_cfg)
    if al.weak_type is not None:  # one vocabulary: IL / IL+C and budget kinds accepted
        al.weak_type = normalize_weak_type(al.weak_type)
    al.annotation_tool = check_tools(al.annotation_tool)
    if not 0 < al.prefill_iou <= 1:
        raise ValueError(f'{loop_cfg}: active_learning.prefill_iou must be in (0, 1], got '
                         f'{al.prefill_iou!r}')
    if al.score_ground_truth is None:
        al.score_ground_truth = al.labels == 'ground_truth'
    return al


def needs(strategy: dict, field: str) -> bool:
    """Whether a strategy selects by the record ``field`` (scoring computes it on demand)."""
    return field in build_selector(strategy).requires
