"""Export: animated GIFs hold every frame in order and refuse no frames."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from cvae import images


def _gif_frames(data: bytes) -> list[np.ndarray]:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "GIF"
    return [np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(picture)]


def test_export_gif_holds_every_frame_in_order():
    frames = np.linspace(0, 1, 5)[:, None, None] * np.ones((5, 28, 28))
    decoded = _gif_frames(images.gif(frames, scale=2))
    assert len(decoded) == 5 and decoded[0].shape == (56, 56)
    levels = [int(f[0, 0]) for f in decoded]
    assert levels == sorted(levels) and levels[0] < 10 and levels[-1] > 245


def test_export_gif_refuses_no_frames():
    with pytest.raises(ValueError):
        images.gif(np.zeros((0, 28, 28)))
