from .inference import inference_image, init_model
from .referring import inference_referring, init_referring_model
from .video import count_frames, inference_video, read_first_mask, read_frames

__all__ = ['inference_referring', 'init_referring_model', 'init_model', 'inference_image', 'inference_video', 'read_frames', 'count_frames',
           'read_first_mask']
