"""Export: the pictures the download buttons hand out are valid PNGs and animated GIFs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from cvae import images


def _png(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    picture.load()  # decodes every byte: a truncated file fails here
    return picture


def _gif_frames(data: bytes) -> list[np.ndarray]:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "GIF"
    return [np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(picture)]


@pytest.fixture(scope="module")
def style_service():
    """A model whose decoder reads the label (it has the analogy strip)."""
    from cvae.serving import registry

    return registry.service("cvae-style-2d")


def test_export_downloads_return_valid_png_bytes(style_service):
    svc = style_service
    grid = _png(svc.class_grid_png(3, 5, 0.9))
    assert grid.size[0] == grid.size[1] >= 5 * 28
    assert _png(svc.manifold_png(4, 0.9, 3)).size[0] >= 4 * 28
    assert _png(svc.samples_png(3, 0)).size[0] > _png(svc.samples_png(3, 0)).size[1]
    assert _png(svc.morph_png("classes", 1, 7)).size[0] >= 10 * 28


def test_export_morph_and_analogy_gifs_are_animated(style_service):
    svc = style_service
    morph = _gif_frames(svc.morph_gif("digits", 0, 1))
    assert len(morph) > 1
    strip = images.to_uint8(svc.core.decode(
        np.stack([svc.view.codes[0], svc.view.codes[1]]), svc.view.labels[[0, 1]]))
    # the first frame is the first test digit's code decoded (4x upscaled)
    np.testing.assert_allclose(morph[0][::4, ::4], strip[0], atol=1)
    analogy = _gif_frames(svc.analogy_gif(3, (0.5, -0.5)))
    assert len(analogy) == 10  # one style drawn as each of the ten digits
