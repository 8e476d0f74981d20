from .affine import (TorchsampleRandomAffine, affine_source_index,
                     torchsample_affine_matrix)
from .checks import CheckImageAnnotations
from .referring import (REF_MASK_TYPES, LoadReferringMask, decode_coco_mask,
                        read_index_png_mask)
from .resize import BackendResize, ResizeShorterSide, shorter_side_size
from .video import LoadVideoObjectAnnotations, VideoClipSample
from .weak_labels import LoadWeakLabels

__all__ = ['REF_MASK_TYPES', 'LoadReferringMask', 'decode_coco_mask', 'read_index_png_mask',
           'CheckImageAnnotations', 'LoadVideoObjectAnnotations', 'LoadWeakLabels',
           'VideoClipSample', 'TorchsampleRandomAffine', 'affine_source_index',
           'torchsample_affine_matrix', 'BackendResize', 'ResizeShorterSide',
           'shorter_side_size']
