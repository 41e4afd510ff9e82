"""Digit images: tiling, crisp upscaling, grey levels and PNG bytes (NumPy and Pillow)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


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


def tile(images: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Tile ``rows * cols`` images ``[N, h, w]`` row-major into one ``[rows*h, cols*w]``."""
    images = np.asarray(images)
    n, h, w = images.shape
    if n != rows * cols:
        raise ValueError(f"{n} images do not fill a {rows} x {cols} grid")
    return images.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of a 2-D image by an integer factor (crisp pixels)."""
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    return np.repeat(np.repeat(np.asarray(image), factor, axis=0), factor, axis=1)


def to_uint8(probs: np.ndarray) -> np.ndarray:
    """Probabilities in [0, 1] to uint8 grey levels."""
    p = np.clip(np.asarray(probs, np.float64), 0.0, 1.0)
    return np.round(p * 255.0).astype(np.uint8)


def gif(frames: np.ndarray, scale: int = 4, frame_ms: int = 150, pause_ms: int = 600) -> bytes:
    """Digit images ``[N, 28, 28]`` (probabilities) as a looping animated GIF, each frame
    upscaled ``scale`` times; the first and last frames are held ``pause_ms``."""
    pictures = [Image.fromarray(upscale(f, scale), mode="L") for f in to_uint8(frames)]
    if not pictures:
        raise ValueError("a GIF needs at least one frame")
    durations = [frame_ms] * len(pictures)
    durations[0] = durations[-1] = pause_ms
    buf = io.BytesIO()
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], loop=0,
                     duration=durations, optimize=False, disposal=1)
    return buf.getvalue()
