"""Drawing primitives shared by the synthetic image and video generators."""
from typing import Tuple

import cv2
import numpy as np

SHAPE_CLASSES = ('circle', 'square', 'triangle')
SHAPES_PALETTE = [(220, 20, 60), (0, 130, 200), (60, 180, 75)]


def draw_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Low-contrast texture: a colour gradient, stripes and pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = rng.uniform(70, 130) + rng.uniform(-15, 15, 3)  # greyish: objects are saturated
    tilt = rng.uniform(-30, 30, (2, 1)) + rng.uniform(-8, 8, (2, 3))
    img = base + xx[..., None] * tilt[0] + yy[..., None] * tilt[1]
    freq, angle = rng.uniform(4, 12), rng.uniform(0, np.pi)
    stripes = np.sin(2 * np.pi * freq * (xx * np.cos(angle) + yy * np.sin(angle)))
    img += stripes[..., None] * rng.uniform(5, 20)
    img += rng.normal(0, 6, img.shape)
    return img


def class_colour(rng: np.random.Generator, label: int) -> np.ndarray:
    """A BGR colour from the hue family of ``label`` (OpenCV hues 0, 60, 120 +- 12)."""
    hue = (60 * label + rng.uniform(-12, 12)) % 180
    hsv = np.array([[[hue, rng.uniform(150, 255), rng.uniform(140, 255)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)


def draw_shape(shape: str, size: int, center: Tuple[int, int], radius: int,
          angle: float) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cx, cy = center
    if shape == 'circle':
        cv2.circle(mask, (cx, cy), radius, 1, -1)
    else:
        n = 4 if shape == 'square' else 3
        r = radius * (1.25 if n == 4 else 1.35)
        t = angle + np.arange(n) * 2 * np.pi / n
        pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1).round().astype(np.int32)
        cv2.fillPoly(mask, [pts], 1)
    return mask
