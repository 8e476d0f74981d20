"""Drawing for the synthetic generators: the shape primitives they share (background
texture, class colours, one filled shape) and the referring scenes (objects of a named colour
and size, placed so each stays visible, painted on a background)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

SHAPE_CLASSES = ('circle', 'square', 'triangle')
SHAPES_PALETTE = [(220, 20, 60), (0, 130, 200), (60, 180, 75)]
EXTENT = {'circle': 1.0, 'square': 1.25, 'triangle': 1.35}  # circumradius / radius


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
    """A filled ``shape`` (uint8 0/1 map): a circle of ``radius``, or a square / triangle of
    circumradius ``radius * EXTENT[shape]`` turned by ``angle``."""
    mask = np.zeros((size, size), np.uint8)
    cx, cy = center
    if shape == 'circle':
        cv2.circle(mask, (cx, cy), radius, 1, -1)
    else:
        n = 4 if shape == 'square' else 3
        r = radius * EXTENT[shape]
        t = angle + np.arange(n) * 2 * np.pi / n
        pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1).round().astype(np.int32)
        cv2.fillPoly(mask, [pts], 1)
    return mask


# --- referring scenes: objects of a named colour and size, on straight paths ---

COLOURS: Dict[str, Tuple[int, int, int]] = {  # RGB, saturated against the greyish background
    'red': (220, 30, 30), 'green': (40, 190, 50), 'blue': (40, 80, 235),
    'yellow': (235, 215, 30)}
SIZES = ('small', 'big')
_HALO = np.ones((5, 5), np.uint8)  # a 2-pixel gap between objects of one colour


@dataclass
class RefObject:
    """One object: its attributes, and its centre ``(x, y)`` on each frame (one for images)."""
    obj_id: int
    shape: str
    colour: str
    size: str
    radius: int
    angle: float
    spin: float
    centers: np.ndarray  # (T, 2)
    rgb: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(3))

    def value(self, attribute: str) -> str:
        return {'colour': self.colour, 'size': self.size, 'class': self.shape}[attribute]

    def to_json(self) -> dict:
        out = {'obj_id': self.obj_id, 'class': self.shape, 'colour': self.colour,
               'size': self.size, 'radius': self.radius, 'angle': round(self.angle, 4)}
        centers = np.round(self.centers, 3).tolist()
        if len(centers) == 1:
            out['center'] = centers[0]
        else:
            out.update(spin=round(self.spin, 4), centers=centers)
        return out


def choose_classes(rng: np.random.Generator, count: int, shared: bool) -> List[str]:
    """Random classes, or (``shared``) classes each held by at least two objects."""
    if not shared:
        return [SHAPE_CLASSES[i] for i in rng.integers(len(SHAPE_CLASSES), size=count)]
    groups = [count] if count < 4 else [2, count - 2]
    labels = [int(rng.integers(len(SHAPE_CLASSES))) for _ in groups]
    classes = [SHAPE_CLASSES[c] for c, n in zip(labels, groups) for _ in range(n)]
    return [classes[i] for i in rng.permutation(count)]


def place_scene(rng: np.random.Generator, size: int, num_frames: int, classes: List[str],
                min_visible: float, tries: int = 25
                ) -> Optional[Tuple[List[RefObject], List[np.ndarray]]]:
    """Objects of ``classes`` (later ones in front) moving on straight lines inside the frame,
    each keeping ``min_visible`` of its pixels on every frame; returns objects and id maps."""
    objects: List[RefObject] = []
    full: List[List[np.ndarray]] = []  # per object, per frame: the drawn shape
    visible: List[List[np.ndarray]] = []
    for obj_id, shape in enumerate(classes, start=1):
        colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        size_word = SIZES[int(rng.integers(2))]
        lo, hi = (0.12, 0.14) if size_word == 'small' else (0.2, 0.22)
        radius = int(round(size * rng.uniform(lo, hi)))
        angle = float(rng.uniform(0, 2 * np.pi))
        spin = float(rng.uniform(-0.1, 0.1)) if num_frames > 1 else 0.0
        rgb = np.array(COLOURS[colour], float) + rng.uniform(-12, 12, 3)
        edge = int(np.ceil(EXTENT[shape] * radius)) + 1  # clear of the border
        for _ in range(tries):
            start = rng.uniform(edge, size - 1 - edge, 2)
            shift = rng.uniform(-0.3 * size, 0.3 * size, 2) if num_frames > 1 else np.zeros(2)
            end = np.clip(start + shift, edge, size - 1 - edge)
            steps = np.linspace(0, 1, num_frames)[:, None]
            centers = start + steps * (end - start)
            masks = [draw_shape(shape, size, tuple(int(v) for v in np.round(c)), radius,
                                angle + t * spin) > 0 for t, c in enumerate(centers)]
            halo = [cv2.dilate(m.astype(np.uint8), _HALO) > 0 for m in masks]
            if all(np.sum(vis[t] & ~masks[t]) >= min_visible * np.sum(fm[t])
                   and not (other.colour == colour and np.any(halo[t] & fm[t]))
                   for other, vis, fm in zip(objects, visible, full)
                   for t in range(num_frames)):
                break  # same-colour objects never touch: their outlines stay visible
        else:
            return None
        visible = [[vis[t] & ~masks[t] for t in range(num_frames)] for vis in visible]
        visible.append(masks)
        full.append(masks)
        objects.append(RefObject(obj_id, shape, colour, size_word, radius, angle, spin,
                                 centers, rgb))
    id_maps = []
    for t in range(num_frames):
        ids = np.zeros((size, size), np.uint8)
        for obj, vis in zip(objects, visible):
            ids[vis[t]] = obj.obj_id
        id_maps.append(ids)
    return objects, id_maps


def paint(rng: np.random.Generator, size: int, objects: List[RefObject],
          id_maps: List[np.ndarray]) -> List[np.ndarray]:
    """BGR frames: one textured background (light noise per frame), objects in their colour."""
    background = draw_background(rng, size)
    frames = []
    for ids in id_maps:
        img = background + (rng.normal(0, 3, background.shape) if len(id_maps) > 1 else 0)
        for obj in objects:
            mask = ids == obj.obj_id
            img[mask] = obj.rgb[::-1] + rng.normal(0, 4, (int(mask.sum()), 3))
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return frames
