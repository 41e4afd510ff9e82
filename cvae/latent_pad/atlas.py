"""Geometry of the pad's atlas: a k x k grid of view points around a drag frame's point.

Each frame of a drag decodes the whole grid at once; the pad shows, under the pointer, the
decode of the grid point nearest to it, so the digit follows the hand between frames. Cells
are row-major with row 0 at the top (largest y), like every grid on the page; the centre
cell is exactly the frame's point. ``pad.js`` repeats `cell` (same rounding) in JavaScript.
"""

from __future__ import annotations

import numpy as np

K = 7          # 7 x 7 = 49 codes: one decode call in the 64 bucket of `cvae.core`
SPACING = 0.2  # view units between neighbouring cells: a preview is within 0.1 of the pointer


def _half(k: int) -> int:
    if k < 1 or k % 2 == 0:
        raise ValueError(f"the atlas needs an odd k >= 1 (it has a centre cell), got {k}")
    return k // 2


def points(centre: tuple[float, float], k: int = K, spacing: float = SPACING) -> np.ndarray:
    """The view points ``[k*k, 2]`` of the atlas around ``centre``, row-major, top row
    first; index ``centre_index(k)`` is ``centre`` itself."""
    offsets = (np.arange(k) - _half(k)) * float(spacing)
    xs = float(centre[0]) + offsets
    ys = float(centre[1]) - offsets  # top row = largest y
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=-1)


def centre_index(k: int = K) -> int:
    """Row-major index of the centre cell."""
    return _half(k) * (k + 1)


def cell(centre: tuple[float, float], xy: tuple[float, float], k: int = K,
         spacing: float = SPACING) -> tuple[int, int, bool]:
    """``(row, col, covered)`` of the atlas cell nearest to view point ``xy``.

    ``covered`` is whether ``xy`` lies in the atlas, i.e. the cell's point is within
    ``spacing / 2`` of ``xy`` on both axes; otherwise ``(row, col)`` is the nearest edge
    cell. Ties round up (``floor(d + 0.5)``), as in ``pad.js``.
    """
    half = _half(k)
    col = int(np.floor((xy[0] - centre[0]) / spacing + 0.5)) + half
    row = half - int(np.floor((xy[1] - centre[1]) / spacing + 0.5))
    covered = 0 <= row < k and 0 <= col < k
    return min(max(row, 0), k - 1), min(max(col, 0), k - 1), covered
