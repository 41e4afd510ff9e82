"""Digits and digit grids as crisp PNG bytes (nearest-neighbour upscaling)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from cvae.latent import tile, to_uint8, upscale


def png(image: np.ndarray) -> bytes:
    """Encode a 2-D uint8 image as PNG."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), mode="L").save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def digit_png(probs: np.ndarray, scale: int = 10) -> bytes:
    """One 28x28 probability image, upscaled ``scale`` times with hard pixel edges."""
    return png(upscale(to_uint8(probs), scale))


def grid_png(probs: np.ndarray, rows: int, cols: int, scale: int = 1, gap: int = 0) -> bytes:
    """``rows * cols`` digit images ``[N, 28, 28]`` tiled row-major into one PNG.

    ``gap`` draws a thin separating line (in source pixels) between neighbours.
    """
    images = to_uint8(probs)
    if gap:
        images = np.pad(images, ((0, 0), (0, gap), (0, gap)), constant_values=48)
    sheet = tile(images, rows, cols)
    if gap:
        sheet = sheet[:-gap, :-gap]
    return png(upscale(sheet, scale))
