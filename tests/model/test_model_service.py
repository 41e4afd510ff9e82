"""One model's service: the page's answers, cached, shared and immutable."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvae.serving import registry


@pytest.fixture(scope="module")
def svc():
    return registry.service("tutorial-2d")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_grids_are_computed_once_and_sized_to_the_grid(svc):
    first = svc.class_grid_png(3, 5, 0.9)
    assert svc.class_grid_png(3, 5, 0.9) is first  # cached, shared
    assert _pixels(first).shape == (5 * 28 * 4, 5 * 28 * 4)  # 560 px wide at most
    assert svc.class_grid_png(4, 5, 0.9) != first


def test_the_digit_at_a_point_is_the_core_decode_of_that_code(svc):
    xy = (0.5, -1.0)
    expected = svc.core.decode(svc.view.latent_at(2, xy)[None])[0]
    np.testing.assert_allclose(svc.digit_at(2, xy), expected, atol=1e-6)


def test_handed_out_figures_are_copies(svc):
    fig = svc.scatter_figure(3, picked=None, own=None)
    fig.data[0].x = []
    fig.data[0].marker.color = "red"
    fig.layout.height = 1
    again = svc.scatter_figure(3, picked=None, own=None)
    assert len(again.data[0].x) > 0 and again.data[0].marker.color != "red"
    assert again.layout.height != 1


def test_test_digit_pictures_and_training_samples(svc):
    original, recon = svc.test_digit_pngs(0)
    assert _pixels(original).shape == _pixels(recon).shape == (112, 112)
    assert _pixels(svc.training_samples_png(svc.last_epoch)).shape[1] > 0


def test_your_digit_is_read_once_per_image(svc):
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255
    reading = svc.own_reading(digit)
    assert svc.own_reading(digit.copy()) is reading
    assert reading.judge[0] == 1
    assert reading.guess is None and reading.analogy_png is None  # label-free model


def test_pictures_that_do_not_show_the_class_are_drawn_once_for_every_class():
    """The manifold of a model whose decoder ignores the class, and the samples of a model
    whose prior ignores it too, are one picture (one cache entry) for all ten classes; a
    label-reading decoder draws each class."""
    plain, prior, style = (registry.service(name)
                           for name in ("tutorial-2d", "class-prior-2d", "cvae-style-2d"))
    assert plain.manifold_png(5, 0.9, 3) is plain.manifold_png(5, 0.9, 8)
    assert plain.samples_png(3, 0) is plain.samples_png(8, 0)
    assert prior.manifold_png(5, 0.9, 3) is prior.manifold_png(5, 0.9, 8)
    assert prior.samples_png(3, 0) != prior.samples_png(8, 0)  # p(z | y) moves with y
    assert style.manifold_png(5, 0.9, 3) != style.manifold_png(5, 0.9, 8)
    assert style.samples_png(3, 0) != style.samples_png(8, 0)
