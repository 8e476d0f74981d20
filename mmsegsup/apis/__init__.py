from .inference import inference_image, init_model

__all__ = ['init_model', 'inference_image']
