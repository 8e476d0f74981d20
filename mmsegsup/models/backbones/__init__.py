"""Backbone variants: mmdet's backbones with the extra outputs the thesis's models read."""
from .resnet_stem import ResNetWithStem

__all__ = ['ResNetWithStem']
