"""Sentence encoders for referring segmentation (importing registers them)."""
from .hf_text_encoder import HFTextEncoder, resolve_text_model

__all__ = ['HFTextEncoder', 'resolve_text_model']
