"""The live latent pad and "your digit" on the page, driven with AppTest (issue 7).

AppTest runs no JavaScript, so dragging and drawing are covered by tests/e2e/test_pad.py;
here: what the page sends to the pad, the fallback without it, and uploads.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from apptest_helpers import assert_healthy, decoded_digit, image_url, run_app
from PIL import Image

from cvae import catalog, digit_input, latent_pad
from cvae.latent import to_uint8
from cvae.latent_pad import atlas


def _pad_data(at) -> dict:
    pads = [c for c in at.get("bidi_component") if c.key == "pad"]
    assert len(pads) == 1, [c.key for c in at.get("bidi_component")]
    return json.loads(pads[0].proto.json)


def _traces(at) -> dict[str, dict]:
    (chart,) = [c for c in at.get("plotly_chart") if "test digit" in c.proto.spec]
    return {t.get("name"): t for t in json.loads(chart.proto.spec)["data"]}


def _captions(at) -> list[str]:
    return [c for image in at.get("image") for c in image.captions]


def _photo_png(test_split, index: int) -> bytes:
    """Test digit ``index`` as dark ink on a larger sheet of light paper."""
    big = Image.fromarray(255 - test_split.images[index]).resize((280, 280))
    sheet = Image.new("L", (400, 340), 255)
    sheet.paste(big, (90, 20))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    return buf.getvalue()


def _upload(at, name: str, data: bytes, mime: str = "image/png"):
    return at.file_uploader(key="upload").set_value((name, data, mime)).run()


# --- the pad ------------------------------------------------------------------------------

def test_the_pad_gets_the_view_frame_and_the_slider_point():
    at = run_app({"model": "class-prior-2d", "digit": "3", "z1": "0.5", "z2": "-1.25"})
    assert_healthy(at)
    data = _pad_data(at)
    z1, z2 = at.slider(key="z1"), at.slider(key="z2")
    (x0, x1), (y0, y1) = data["bounds"]  # the plots' frame, inside the sliders' range
    assert z1.min <= x0 < 0.5 < x1 <= z1.max and z2.min <= y0 < -1.25 < y1 <= z2.max
    assert data["point"] == [0.5, -1.25] and data["live"] is None and data["ack"] is None
    assert data["titles"] == ["z₁", "z₂"] and data["digit"] == 3
    assert len(data["centres"]) == 10 and len(data["colours"]) == 10
    assert len(data["map"]["classes"]) == data["map"]["cells"] ** 2
    assert "draw" in [c.key for c in at.get("bidi_component")]
    assert not any("pad is off" in c.value for c in at.caption)


def test_the_pad_frame_widens_to_keep_a_far_slider_point_on_it():
    at = run_app({"model": "tutorial-2d", "z1": "11.5", "z2": "-11.5"})
    assert_healthy(at)
    data = _pad_data(at)
    (x0, x1), (y0, y1) = data["bounds"]
    assert x0 < 11.5 < x1 and y0 < -11.5 < y1
    (_, mx1), (my0, _) = data["map"]["bounds"]  # the class map keeps the plot bounds
    assert mx1 < 11.5 and my0 > -11.5


def _png_pixels(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))))


def test_a_drag_frame_carries_an_atlas_of_true_decodes_around_the_sent_point(test_split):
    from cvae.core import load_core
    from cvae.explorer import build_view

    at = run_app({"model": "tutorial-50d", "digit": "3"})
    assert _pad_data(at)["atlas"] is None  # no drag, no atlas
    at.session_state["pad"] = {"move": {"x": 0.5, "y": -1.0, "seq": 1}}  # what a drag sends
    at.run()
    assert_healthy(at)
    data = _pad_data(at)
    assert data["ack"] == 1 and data["live"] == [0.5, -1.0]
    grid = data["atlas"]
    k = grid["k"]
    assert grid["centre"] == [0.5, -1.0] and k == atlas.K and grid["spacing"] == atlas.SPACING
    sheet = _png_pixels(grid["image"])
    assert sheet.shape == (28 * k, 28 * k)
    tiles = sheet.reshape(k, 28, k, 28).transpose(0, 2, 1, 3).reshape(k * k, 28, 28)
    # The centre cell is the decoded digit the page shows for the sent point...
    assert "p(x | z) at (0.50, -1.00) · release to keep" in _captions(at)
    np.testing.assert_array_equal(tiles[atlas.centre_index(k)], _png_pixels(decoded_digit(at)))
    # ...and every cell is the model's decode at its grid point, the other 48 latent
    # dimensions held at the class-3 centre.
    core = load_core(catalog.bundle_path("tutorial-50d"))
    view = build_view(core, test_split)
    codes = view.latent_at(3, atlas.points((0.5, -1.0), k, grid["spacing"]))
    want = to_uint8(core.decode(codes)).astype(int)
    assert np.abs(tiles.astype(int) - want).max() <= 1


def test_a_50d_model_gets_principal_axes_on_the_pad():
    at = run_app({"model": "tutorial-50d"})
    assert_healthy(at)
    assert _pad_data(at)["titles"] == ["PC 1 of the codes", "PC 2 of the codes"]


# --- fallback without the component -------------------------------------------------------

def _assert_slider_fallback(at) -> None:
    assert_healthy(at)
    assert not at.get("bidi_component")
    assert any("pad is off" in c.value for c in at.caption)
    assert any("Drawing is unavailable" in c.value for c in at.caption)
    assert at.file_uploader(key="upload")  # uploads still work without the components
    before = decoded_digit(at)
    slider = at.slider(key="z1")
    slider.set_value(round(slider.value + 1.5, 2)).run()
    assert_healthy(at)
    assert decoded_digit(at) != before


def test_with_the_pad_switched_off_the_sliders_still_drive_the_page(monkeypatch):
    monkeypatch.setenv(latent_pad.DISABLE_ENV, "1")
    _assert_slider_fallback(run_app())


def test_when_the_component_cannot_be_registered_the_page_falls_back(monkeypatch):
    def broken(name: str, stem: str) -> None:
        raise RuntimeError("no components here")

    monkeypatch.setattr(latent_pad, "_renderers", {})
    monkeypatch.setattr(latent_pad, "_register", broken)
    _assert_slider_fallback(run_app())


# --- your digit ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def uploaded(test_split):
    """A session where test digit #3 was uploaded as a photo."""
    at = run_app()
    return _upload(at, "three.png", _photo_png(test_split, 3))


def test_an_uploaded_digit_is_shown_as_the_model_sees_it_with_its_reconstruction(
        uploaded, test_split):
    at = uploaded
    assert_healthy(at)
    assert not at.warning
    captions = _captions(at)
    assert any(c.startswith("what the model sees: `three.png`") for c in captions), captions
    assert "its reconstruction" in captions
    guess = [m.value for m in at.markdown if m.value.startswith("Likeliest class")]
    assert len(guess) == 1 and "% of p(y | z)" in guess[0]  # class-prior model


def test_an_uploaded_digit_is_a_star_on_the_scatter_and_on_the_pad(uploaded):
    at = uploaded
    star = _traces(at)["your digit"]
    xy = [star["x"][0], star["y"][0]]
    assert _pad_data(at)["own"] == pytest.approx(xy)
    (x0, x1), (y0, y1) = _pad_data(at)["bounds"]
    assert x0 - 1 < xy[0] < x1 + 1 and y0 - 1 < xy[1] < y1 + 1


def test_move_the_latent_point_to_your_digit(uploaded):
    at = uploaded
    star = _traces(at)["your digit"]
    at.button(key="go_to_own").click().run()
    assert_healthy(at)
    z1, z2 = at.slider(key="z1"), at.slider(key="z2")
    expected = (round(float(np.clip(star["x"][0], z1.min, z1.max)), 2),
                round(float(np.clip(star["y"][0], z2.min, z2.max)), 2))
    assert (at.slider(key="z1").value, at.slider(key="z2").value) == pytest.approx(expected)
    assert f"p(x | z) at ({expected[0]:.2f}, {expected[1]:.2f})" in _captions(at)


@pytest.mark.parametrize(("name", "data", "note"), [
    ("notes.png", b"this is a text file", "not a readable PNG or JPEG"),
    ("blank.png", None, "No digit found"),
    ("huge.png", b"\x89PNG" + b"\0" * (digit_input.MAX_BYTES + 10), "the limit is 1 MB"),
])
def test_a_bad_upload_warns_and_keeps_your_previous_digit(test_split, name, data, note):
    if data is None:
        buf = io.BytesIO()
        Image.new("L", (200, 200), 250).save(buf, format="PNG")
        data = buf.getvalue()
    at = _upload(run_app(), "three.png", _photo_png(test_split, 3))
    before = image_url(at, "what the model sees")
    _upload(at, name, data)
    assert_healthy(at)
    assert len(at.warning) == 1
    assert f"`{name}` could not be used as a digit" in at.warning[0].value
    assert note in at.warning[0].value
    assert image_url(at, "what the model sees") == before  # the earlier digit is kept
    assert "your digit" in _traces(at)


def test_removing_the_upload_removes_your_digit(test_split):
    at = _upload(run_app(), "three.png", _photo_png(test_split, 3))
    assert "your digit" in _traces(at)
    at.file_uploader(key="upload").clear().run()
    assert_healthy(at)
    assert "your digit" not in _traces(at)
    assert any("Nothing yet" in i.value for i in at.info)


def test_models_without_a_class_prior_name_no_class(test_split):
    at = run_app({"model": "tutorial-2d"})
    _upload(at, "three.png", _photo_png(test_split, 3))
    assert_healthy(at)
    assert "its reconstruction" in _captions(at)
    assert not [m for m in at.markdown if m.value.startswith("Likeliest class")]


# --- pure helpers -------------------------------------------------------------------------

def test_read_point_accepts_only_finite_numbers():
    assert latent_pad.read_point({"x": 1, "y": "2.5", "seq": 3}) == (1.0, 2.5)
    for bad in (None, [], {"x": 1}, {"x": "a", "y": 1}, {"x": float("nan"), "y": 0},
                {"x": float("inf"), "y": 0}):
        assert latent_pad.read_point(bad) is None


def test_the_class_map_marks_the_majority_class_per_cell():
    class View:
        bounds = ((0.0, 2.0), (0.0, 2.0))
        coords = np.array([[0.5, 1.5], [0.6, 1.6], [0.4, 1.4], [1.5, 0.5]])
        labels = np.array([3, 3, 7, 9])

    # rows from the top: (x 0-1, y 1-2) holds two 3s and a 7; (x 1-2, y 0-1) a 9
    assert latent_pad.class_map(View(), cells=2) == {
        "cells": 2, "classes": "3..9", "bounds": [[0.0, 2.0], [0.0, 2.0]]}


def test_read_move_needs_a_whole_sequence_number():
    assert latent_pad.read_move({"x": 0.5, "y": -1, "seq": 7}) == ((0.5, -1.0), 7)
    for bad in ({"x": 0.5, "y": -1}, {"x": 0.5, "y": -1, "seq": "7"},
                {"x": 0.5, "y": -1, "seq": True}, {"x": None, "y": 0, "seq": 1}):
        assert latent_pad.read_move(bad) is None


def test_compacted_component_code_keeps_every_statement():
    source = "// header\nconst a = 1;  // trailing\n\n  function f() {\n    return a;\n  }\n"
    assert latent_pad._compact(source) == "const a = 1;  // trailing\nfunction f() {\nreturn a;\n}"
