"""BASIS (thesis ch. 4): pseudo-labelling (a function and its hook), strong / pseudo splits,
the pipeline driver."""
from .pseudo_labels import (INSTANCE_FILE, SEMANTIC_LIST, TASKS, merge_instance_shards,
                            pseudo_label)
from .pipeline import BasisRun, load_settings
from .pseudo_label_hook import PseudoLabelHook
from .report import plot_rows, read_rows, upsert_row
from .splits import choose_strong, read_list, split_coco, split_list

__all__ = ['BasisRun', 'load_settings', 'PseudoLabelHook', 'plot_rows', 'read_rows',
           'upsert_row', 'INSTANCE_FILE', 'SEMANTIC_LIST', 'TASKS', 'merge_instance_shards', 'pseudo_label',
           'choose_strong', 'read_list', 'split_coco', 'split_list']
