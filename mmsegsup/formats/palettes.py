"""Colour maps of index PNGs, so written PNGs look like the official ones."""
from typing import List, Tuple


def voc_palette(num: int = 256) -> List[Tuple[int, int, int]]:
    """RGB colour of each VOC index, so written PNGs look like the official ones.

    The official colour map spreads the bits of the index over the high bits of
    R, G and B (index 1 is (128, 0, 0), 255 is (224, 224, 192)).
    """
    colours = []
    for index in range(num):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        colours.append((r, g, b))
    return colours


DAVIS_PALETTE = voc_palette(256)  # DAVIS annotations use the VOC colour map
