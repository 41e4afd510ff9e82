"""The per-model point data the latent map draws, as one small binary file.

Layout (little-endian): ``uint32 N``, ``float32 x[N]``, ``float32 y[N]``, ``uint8 labels[N]``.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np


def encode_points(coords: np.ndarray, labels: np.ndarray) -> bytes:
    """View coordinates ``[N, 2]`` and classes ``[N]`` in the layout above."""
    coords = np.asarray(coords)
    n = len(coords)
    if coords.shape != (n, 2) or np.shape(labels) != (n,):
        raise ValueError("expected coords [N, 2] and labels [N]")
    return (struct.pack("<I", n) + coords[:, 0].astype("<f4").tobytes()
            + coords[:, 1].astype("<f4").tobytes() + np.asarray(labels, np.uint8).tobytes())


def decode_points(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `encode_points`: ``([N, 2] float32, [N] uint8)``."""
    (n,) = struct.unpack_from("<I", data)
    if len(data) != 4 + 9 * n:
        raise ValueError(f"points file of {len(data)} bytes does not hold {n} points")
    x = np.frombuffer(data, "<f4", n, 4)
    y = np.frombuffer(data, "<f4", n, 4 + 4 * n)
    return np.stack([x, y], axis=1), np.frombuffer(data, np.uint8, n, 4 + 8 * n)


def etag(data: bytes) -> str:
    """A strong ETag for ``data``."""
    return '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
