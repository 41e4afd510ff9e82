"""The per-model point data the latent map draws, as one small binary file, and the
server's cache of those files (`REGISTRY_POINTS`, served by `cvae.live.routes` and warmed by
`cvae.serving.warmup`).

Layout (little-endian): ``uint32 N``, ``float32 x[N]``, ``float32 y[N]``, ``uint8 labels[N]``.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Callable

import numpy as np

from cvae.plane import DEFAULT as DEFAULT_PLANE

PointsSource = Callable[[str, str], bytes]  # (model, plane) -> points file


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


def registry_points(name: str, plane: str = DEFAULT_PLANE) -> bytes:
    """The points file of model ``name`` in ``plane``, from the server's shared view."""
    from cvae.serving import registry

    view = registry.view(name).in_plane(plane)
    return encode_points(view.coords, view.labels)


class PointsFiles:
    """Each model's points file and its ETag, built once from ``source``: in the default
    plane for good, in other planes the last `OTHER_PLANES` asked for."""

    OTHER_PLANES = 32

    def __init__(self, source: PointsSource) -> None:
        self.source = source
        self._files: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._others: list[tuple[str, str]] = []  # other-plane keys, oldest first
        self._lock = threading.Lock()

    def cached(self, name: str, plane: str = DEFAULT_PLANE) -> tuple[bytes, str] | None:
        return self._files.get((name, plane))

    def get(self, name: str, plane: str = DEFAULT_PLANE) -> tuple[bytes, str]:
        """The file of allow-listed model ``name`` in ``plane`` (blocking on its first
        build; `PlaneError` when the model has no such plane)."""
        key = (name, plane)
        found = self._files.get(key)
        if found is None:
            data = self.source(name, plane)
            found = (data, etag(data))
            with self._lock:
                if plane != DEFAULT_PLANE and key not in self._files:
                    self._others.append(key)
                    while len(self._others) > self.OTHER_PLANES:
                        self._files.pop(self._others.pop(0), None)
                self._files[key] = found
        return found


REGISTRY_POINTS = PointsFiles(registry_points)  # the server's (warmed by cvae.serving.warmup)
