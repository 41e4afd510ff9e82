"""The style-and-class model on the page: the analogy panel shows the current style in all
ten classes and follows the point, and is absent for a model that ignores the label."""

from __future__ import annotations

import numpy as np

from harness.apptest import assert_healthy, image_url, run_app

STYLE = "cvae-style-2d"
ANALOGY = "p(x | z, y) for y = 0…9"


def test_analogy_panel_shows_ten_digits_and_follows_the_point(style_core, judge):
    at = run_app({"model": STYLE, "digit": "8"})
    assert_healthy(at)
    before = image_url(at, ANALOGY)
    slider = at.slider(key="z1")
    slider.set_value(round(slider.value + 1.0, 2)).run()
    assert_healthy(at)
    assert image_url(at, ANALOGY) != before
    # what the strip draws: the point's code in every class, each read as its class
    z = np.array([[at.slider(key="z1").value, at.slider(key="z2").value]], np.float32)
    ten = style_core.decode(np.repeat(z, 10, axis=0), np.arange(10))
    assert (judge.predict(ten) == np.arange(10)).mean() >= 0.9


def test_the_panel_is_absent_for_a_model_whose_decoder_ignores_the_label():
    at = run_app({"model": "class-prior-2d"})
    assert_healthy(at)
    assert not any(ANALOGY in c for i in at.get("image") for c in i.captions)
