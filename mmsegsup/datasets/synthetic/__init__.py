"""The synthetic data generators, the toolkit's embedded defaults (no download needed).

- :mod:`.scene`: drawing (background texture, class colours, shapes, referring scenes);
- :mod:`.language`: what a referring description means and how it is said;
- :mod:`.shapes`, :mod:`.semantic`, :mod:`.videos`, :mod:`.referring`: the generators, each
  writing one benchmark's layout (COCO, mmseg custom, DAVIS / YouTube-VOS, referring);
- :mod:`.datasets`: the registered datasets that write their split on first use.

Whether generated data is current is answered for all of them by
:mod:`mmsegsup.formats.synthetic_cache` (one table of layout versions).
"""
from .datasets import (ReferringShapesBase, ReferringShapesDataset, ReferringShapesVideoDataset,
                       ShapesInstanceDataset, ShapesSemanticDataset)
from .referring import (generate_referring_shapes, generate_referring_shapes_videos,
                        referring_shapes_current)
from .scene import SHAPE_CLASSES, SHAPES_PALETTE
from .semantic import SEMANTIC_CLASSES, generate_shapes_semantic, shapes_semantic_current
from .shapes import generate_shapes
from .videos import (generate_shapes_videos, generate_shapes_videos_ytvos,
                     synthetic_videos_current, synthetic_ytvos_current)

__all__ = [
    'ReferringShapesBase', 'ReferringShapesDataset', 'ReferringShapesVideoDataset',
    'ShapesInstanceDataset', 'ShapesSemanticDataset', 'generate_referring_shapes',
    'generate_referring_shapes_videos', 'referring_shapes_current', 'SHAPE_CLASSES',
    'SHAPES_PALETTE', 'SEMANTIC_CLASSES', 'generate_shapes_semantic',
    'shapes_semantic_current', 'generate_shapes', 'generate_shapes_videos',
    'generate_shapes_videos_ytvos', 'synthetic_videos_current', 'synthetic_ytvos_current'
]
