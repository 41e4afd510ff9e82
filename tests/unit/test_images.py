"""Digit images: tiling, upscaling, grey levels, PNG encoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvae import images


def test_tile_and_upscale():
    imgs = np.arange(6 * 2 * 2).reshape(6, 2, 2)
    t = images.tile(imgs, 2, 3)
    assert t.shape == (4, 6)
    assert t[0:2, 2:4].tolist() == imgs[1].tolist()  # row 0, col 1
    assert t[2:4, 0:2].tolist() == imgs[3].tolist()  # row 1, col 0
    with pytest.raises(ValueError):
        images.tile(imgs, 2, 2)
    up = images.upscale(np.array([[0, 1]]), 3)
    assert up.shape == (3, 6) and up[:, :3].max() == 0 and up[:, 3:].min() == 1


def test_to_uint8_clips_and_rounds():
    out = images.to_uint8(np.array([-0.5, 0.0, 0.5, 1.0, 2.0]))
    assert out.dtype == np.uint8 and out.tolist() == [0, 0, 128, 255, 255]


def test_grid_png_is_the_tiled_upscaled_sheet():
    probs = np.random.default_rng(0).random((6, 28, 28))
    png = Image.open(io.BytesIO(images.grid_png(probs, 2, 3, scale=2)))
    assert png.size == (3 * 28 * 2, 2 * 28 * 2)
    np.testing.assert_array_equal(np.asarray(png), images.upscale(
        images.tile(images.to_uint8(probs), 2, 3), 2))
