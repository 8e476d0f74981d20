"""Pictures of instance predictions that a newcomer reads without zooming.

The bundled shapes are 64x64: drawn at their own size, mmdet's visualizer puts labels bigger
than the objects on a thumbnail. Here the image is enlarged by an integer factor (nearest, so
pixels stay pixels) and greyed (so colours mean classes, whatever colours the objects have),
each instance is filled and outlined in its class colour with a small ``class score`` tag
beside it, the ground truth (when known) sits left of the prediction, and a legend names the
classes. The image demo (``tools/demo/image_demo.py``) draws with it.
"""
import io
import math
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..formats.coco_json import load_coco_json
from ..formats.errors import FormatError
from ..utils.io import write_bytes_atomic

MIN_SIDE = 256  # the automatic scale enlarges the longer side to at least this many pixels
DPI = 100
_PAD, _TITLE, _LEGEND_ROW = 8, 24, 16  # figure margins, in pixels
_FILL_ALPHA = 0.45


@dataclass
class Instances:
    """What one panel shows: ``(N, H, W)`` boolean masks, class indices and, for
    predictions, scores (``None`` for ground truth: no score tag)."""
    masks: np.ndarray
    labels: np.ndarray
    scores: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.labels)


def auto_scale(shape: Tuple[int, int], min_side: int = MIN_SIDE) -> int:
    """The smallest integer factor that brings the longer side of ``shape`` (h, w) to
    ``min_side`` pixels; 1 for images already that large."""
    return max(1, math.ceil(min_side / max(shape[:2])))


def prediction_instances(data_sample, score_thr: float = 0.3) -> Instances:
    """The instances of a ``DetDataSample`` prediction scoring at least ``score_thr``."""
    pred = data_sample.pred_instances
    if 'masks' not in pred:
        raise ValueError('the prediction has no masks: these pictures are for instance '
                         'segmentation models')
    scores = pred.scores.detach().cpu().numpy()
    keep = scores >= score_thr
    return Instances(pred.masks.detach().cpu().numpy().astype(bool)[keep],
                     pred.labels.detach().cpu().numpy()[keep], scores[keep])


def _decode(segm, h: int, w: int, ann_file: str) -> np.ndarray:
    """One COCO segmentation (polygons, RLE or uncompressed RLE) as an (h, w) bool mask, the
    way mmdet's ``LoadAnnotations`` reads it."""
    import pycocotools.mask as mask_util  # here: importing the module stays light
    if isinstance(segm, list):
        rle = mask_util.merge(mask_util.frPyObjects(segm, h, w))
    elif isinstance(segm, dict) and isinstance(segm.get('counts'), list):
        rle = mask_util.frPyObjects(segm, h, w)
    elif isinstance(segm, dict) and 'counts' in segm:
        rle = segm
    else:
        raise FormatError(f'{ann_file}: unreadable segmentation {str(segm)[:60]}', ann_file)
    return mask_util.decode(rle).astype(bool)


class CocoGroundTruth:
    """The ground truth of a COCO instance file, looked up by image file name, with its
    categories mapped by name onto the model's ``classes`` (so both panels share colours)."""

    def __init__(self, ann_file: str, classes: Sequence[str]) -> None:
        self.ann_file = ann_file
        coco = load_coco_json(ann_file, what='ground-truth annotation file')
        index = {name: i for i, name in enumerate(classes)}
        self.labels: Dict[int, int] = {}
        for cat in coco['categories']:
            if cat['name'] not in index:
                raise FormatError(f'{ann_file}: category {cat["name"]!r} is not a class of the '
                                  f'model ({", ".join(classes)})', ann_file)
            self.labels[cat['id']] = index[cat['name']]
        self.images = {osp.basename(img['file_name']): img for img in coco['images']}
        self.anns: Dict[int, List[dict]] = {img['id']: [] for img in coco['images']}
        for ann in coco['annotations']:
            self.anns.setdefault(ann['image_id'], []).append(ann)

    def __call__(self, image_path: str) -> Instances:
        """The annotated instances of ``image_path`` (matched by file name)."""
        img = self.images.get(osp.basename(image_path))
        if img is None:
            raise FormatError(f'{self.ann_file} has no image named {osp.basename(image_path)} '
                              f'(from {image_path})', self.ann_file)
        h, w = img['height'], img['width']
        anns = [a for a in self.anns[img['id']] if not a.get('iscrowd', 0)]
        masks = np.stack([_decode(a['segmentation'], h, w, self.ann_file) for a in anns]) \
            if anns else np.zeros((0, h, w), bool)
        return Instances(masks, np.array([self.labels[a['category_id']] for a in anns], int))


def _enlarge(x: np.ndarray, scale: int) -> np.ndarray:
    return x if scale == 1 else np.repeat(np.repeat(x, scale, 0), scale, 1)


def _backdrop(img: np.ndarray) -> np.ndarray:
    """``img`` in light grey, so the overlay's class colours are the only colours."""
    grey = cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY)
    return np.repeat((grey.astype(np.float32) * 0.6 + 80)[..., None], 3, 2)


def _overlay(img: np.ndarray, inst: Instances, colours: np.ndarray, scale: int) -> np.ndarray:
    """The enlarged grey ``img`` with each instance filled and outlined in its class colour;
    the weakest first, so the strongest stay on top."""
    out = _enlarge(_backdrop(img), scale)
    order = np.argsort(inst.scores) if inst.scores is not None else range(len(inst))
    width = max(1, min(3, scale // 2))
    for i in order:
        mask = _enlarge(inst.masks[i], scale)
        colour = colours[inst.labels[i]]
        out[mask] = (1 - _FILL_ALPHA) * out[mask] + _FILL_ALPHA * colour
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, tuple(float(c) * 0.7 for c in colour), width)
    return out.clip(0, 255).astype(np.uint8)


def _tag_text_colour(rgb: np.ndarray) -> str:
    return 'black' if 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 150 else 'white'


def _tag_spots(box: Tuple[int, int, int, int], tw: float,
               th: float) -> List[Tuple[float, float]]:
    """Top-left corners to try for a ``tw`` x ``th`` tag beside ``box`` (x0, y0, x1, y1):
    above, below, then left and right of it, the preferred first."""
    x0, y0, x1, y1 = box
    cy = (y0 + y1) / 2 - th / 2
    return [(x0, y0 - th - 2), (x1 - tw, y0 - th - 2), (x0, y1 + 2), (x1 - tw, y1 + 2),
            (x1 + 2, cy), (x0 - tw - 2, cy), ((x0 + x1 - tw) / 2, y0 + 2)]


def _tags(ax, inst: Instances, classes: Sequence[str], colours: np.ndarray, scale: int,
          size: Tuple[int, int]) -> None:
    """A small ``class score`` tag per instance, put at the spot beside its box that covers
    the fewest object pixels and no earlier tag, so tags do not hide what they name."""
    h, w = size
    renderer = ax.figure.canvas.get_renderer()
    px = ax.transData.transform([[0, 0], [1, 1]])
    unit = abs(px[1, 0] - px[0, 0])  # screen pixels per panel pixel
    occupied = np.zeros((h, w), np.int32)
    for m in inst.masks:
        occupied += _enlarge(m, scale)
    placed: List[Tuple[float, float, float, float]] = []
    order = np.argsort(-inst.scores) if inst.scores is not None else range(len(inst))
    for i in order:
        ys, xs = np.nonzero(inst.masks[i])
        if not len(ys):
            continue
        box = (xs.min() * scale, ys.min() * scale, (xs.max() + 1) * scale,
               (ys.max() + 1) * scale)
        text = classes[inst.labels[i]]
        if inst.scores is not None:
            text += f' {inst.scores[i]:.2f}'
        colour = colours[inst.labels[i]]
        tag = ax.text(0, 0, text, fontsize=7, color=_tag_text_colour(colour), ha='left',
                      va='top', clip_on=True, bbox=dict(boxstyle='square,pad=0.2',
                                                        fc=colour / 255, ec='none'))
        extent = tag.get_window_extent(renderer)
        tw, th = extent.width / unit + 3, extent.height / unit + 3

        def cost(spot):
            x, y = spot
            x, y = min(max(x, 0), w - tw), min(max(y, 0), h - th)
            xa, ya, xb, yb = int(x), int(y), int(np.ceil(x + tw)), int(np.ceil(y + th))
            hidden = occupied[ya:yb, xa:xb].sum()
            clash = sum(max(0, min(xb, b[2]) - max(xa, b[0])) *
                        max(0, min(yb, b[3]) - max(ya, b[1])) for b in placed)
            return hidden + 10 * clash, (x, y, x + tw, y + th)

        _, best = min((cost(s) for s in _tag_spots(box, tw, th)), key=lambda c: c[0])
        placed.append(best)
        tag.set_position((best[0] + 1.5, best[1] + 1.5))


def _legend_rows(names: Sequence[str], width: float) -> Tuple[int, int]:
    """(columns, rows) of a legend of ``names`` that fits ``width`` pixels (8 pt text)."""
    entry = 30 + 6.5 * max((len(n) for n in names), default=0)
    ncol = int(max(1, min(len(names), width // entry)))
    return ncol, math.ceil(len(names) / ncol)


def draw_instance_panels(img: np.ndarray, panels: Sequence[Tuple[str, Instances]],
                         classes: Sequence[str], palette: Sequence[Tuple[int, int, int]],
                         out_file: str, scale: Optional[int] = None) -> str:
    """Write ``out_file``: one enlarged copy of ``img`` (RGB) per ``(title, instances)``
    panel, side by side, and a legend of the classes shown below; returns ``out_file``.

    ``scale`` (default :func:`auto_scale`) enlarges with nearest neighbours; each panel is
    exactly ``scale`` times the image in pixels, so a reader can count pixels too.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    for title, inst in panels:
        if inst.masks.shape[1:] != img.shape[:2]:
            raise ValueError(f'{title}: masks of size {inst.masks.shape[1:]} for an image of '
                             f'size {img.shape[:2]} (does the annotation file describe '
                             'this image?)')
    scale = scale or auto_scale(img.shape)
    h, w = img.shape[0] * scale, img.shape[1] * scale
    colours = np.asarray(palette, np.float32)[:, :3]
    shown = sorted({int(c) for _, inst in panels for c in inst.labels})
    fig_w = len(panels) * (w + _PAD) + _PAD
    ncol, rows = _legend_rows([classes[c] for c in shown], fig_w - 2 * _PAD)
    legend_h = _PAD + _LEGEND_ROW * max(rows, 1)
    fig_h = _TITLE + h + legend_h
    fig = plt.figure(figsize=(fig_w / DPI, fig_h / DPI), dpi=DPI)
    try:
        for k, (title, inst) in enumerate(panels):
            left = _PAD + k * (w + _PAD)
            ax = fig.add_axes([left / fig_w, legend_h / fig_h, w / fig_w, h / fig_h])
            ax.imshow(_overlay(img, inst, colours, scale), interpolation='nearest',
                      extent=(0, w, h, 0))
            _tags(ax, inst, classes, colours, scale, (h, w))
            ax.set_xlim(0, w)
            ax.set_ylim(h, 0)
            ax.set_axis_off()
            fig.text((left + w / 2) / fig_w, 1 - (_TITLE / 2) / fig_h, title, ha='center',
                     va='center', fontsize=9, fontweight='bold')
        if shown:
            fig.legend(handles=[Patch(fc=colours[c] / 255, ec='none', label=classes[c])
                                for c in shown],
                       loc='lower left', ncol=ncol, fontsize=8, frameon=False,
                       handlelength=1.2, columnspacing=1.0, labelspacing=0.3,
                       bbox_to_anchor=(_PAD / 2 / fig_w, 0), borderaxespad=0.2)
        buf = io.BytesIO()
        fig.savefig(buf, format='png', dpi=DPI, facecolor='white')
    finally:
        plt.close(fig)
    write_bytes_atomic(buf.getvalue(), out_file)
    return out_file
