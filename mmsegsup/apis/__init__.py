from .inference import inference_image, init_model
from .video import count_frames, inference_video, read_first_mask, read_frames

__all__ = ['init_model', 'inference_image', 'inference_video', 'read_frames', 'count_frames',
           'read_first_mask']
