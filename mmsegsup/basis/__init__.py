"""BASIS (thesis ch. 4): pseudo-labelling, strong / pseudo splits, the pipeline driver."""
from .pseudo_labels import (INSTANCE_FILE, SEMANTIC_LIST, TASKS, merge_instance_shards,
                            pseudo_label)
from .splits import choose_strong, read_list, split_coco, split_list

__all__ = ['INSTANCE_FILE', 'SEMANTIC_LIST', 'TASKS', 'merge_instance_shards', 'pseudo_label',
           'choose_strong', 'read_list', 'split_coco', 'split_list']
