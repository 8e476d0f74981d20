"""Class vocabularies of the benchmarks, in their official index order."""
from typing import Tuple

# Index order of the VOC PNGs / SBD Categories minus one (index 0 is background).
VOC_CLASSES: Tuple[str, ...] = (
    'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
    'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
    'train', 'tvmonitor')
