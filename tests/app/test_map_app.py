"""The latent map and "your digit" on the page, driven with AppTest.

AppTest runs no JavaScript, so dragging, picking and drawing are covered by
tests/e2e/test_map.py; here: what the page sends to the map, the fallback without it,
and uploads.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from cvae import digit_input, latent_map, settings
from harness.apptest import assert_healthy, decoded_digit, image_url, map_data, run_app


def _map(at) -> dict:
    data = map_data(at)
    assert data is not None, [c.key for c in at.get("bidi_component")]
    return data


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


# --- the map ------------------------------------------------------------------------------

def test_the_map_gets_the_view_state_and_no_point_data():
    at = run_app({"model": "class-prior-2d", "digit": "3", "z1": "0.5", "z2": "-1.25"})
    assert_healthy(at)
    data = _map(at)
    z1, z2 = at.slider(key="z1"), at.slider(key="z2")
    (x0, x1), (y0, y1) = data["bounds"]
    assert z1.min <= x0 < 0.5 < x1 <= z1.max and z2.min <= y0 < -1.25 < y1 <= z2.max
    assert data["point"] == [0.5, -1.25] and data["digit"] == 3
    assert data["model"] == "class-prior-2d" and data["live"] == "cvae/live"
    assert data["points"].startswith("cvae/points/class-prior-2d?v=")
    assert len(data["points"].split("?v=")[1]) == 8
    assert len(data["centres"]) == 10 and len(data["colours"]) == 10
    assert len(base64.b64decode(data["image"])) == 784
    assert len(json.dumps(data)) < 4000  # the view state only, never the 10,000 points
    assert not [c for c in at.get("plotly_chart") if "test digit" in c.proto.spec]  # replaced
    assert "draw" in [c.key for c in at.get("bidi_component")]


def test_the_map_frame_widens_to_keep_a_far_slider_point_on_it():
    at = run_app({"model": "tutorial-2d", "z1": "11.5", "z2": "-11.5"})
    (x0, x1), (y0, y1) = _map(at)["bounds"]
    assert x0 < 11.5 < x1 and y0 < -11.5 < y1


def test_a_50d_model_gets_principal_axes_on_the_map():
    at = run_app({"model": "tutorial-50d"})
    assert_healthy(at)
    assert _map(at)["titles"] == ["PC 1 of the codes", "PC 2 of the codes"]


# --- fallback without the component -------------------------------------------------------

def _assert_slider_fallback(at) -> None:
    assert_healthy(at)
    assert not at.get("bidi_component")
    assert any("map is off" in c.value for c in at.caption)
    assert any("Drawing is unavailable" in c.value for c in at.caption)
    assert at.file_uploader(key="upload")
    assert "current point" not in _traces(at)  # a slider move need not re-send the scatter
    before = decoded_digit(at)
    slider = at.slider(key="z1")
    slider.set_value(round(slider.value + 1.5, 2)).run()
    assert_healthy(at)
    assert decoded_digit(at) != before


def test_with_the_map_switched_off_the_sliders_still_drive_the_page(monkeypatch):
    monkeypatch.setenv(settings.NO_COMPONENTS, "1")
    _assert_slider_fallback(run_app())


def test_when_the_component_cannot_be_registered_the_page_falls_back(monkeypatch):
    def broken(name: str) -> None:
        raise RuntimeError("no components here")

    monkeypatch.setattr(latent_map, "_renderers", {})
    monkeypatch.setattr(latent_map, "_register", broken)
    _assert_slider_fallback(run_app())


# --- your digit ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def uploaded(test_split):
    """A session where test digit #3 was uploaded as a photo."""
    at = run_app()
    return _upload(at, "three.png", _photo_png(test_split, 3))


def test_an_uploaded_digit_is_shown_as_the_model_sees_it_with_its_reconstruction(uploaded):
    at = uploaded
    assert_healthy(at)
    assert not at.warning
    captions = _captions(at)
    assert any(c.startswith("what the model sees: `three.png`") for c in captions), captions
    assert "its reconstruction" in captions
    guess = [m.value for m in at.markdown if m.value.startswith("Likeliest class")]
    assert len(guess) == 1 and "% of p(y | z)" in guess[0]


def test_an_uploaded_digit_is_a_star_on_the_map(uploaded):
    data = _map(uploaded)
    (x0, x1), (y0, y1) = data["bounds"]
    x, y = data["own"]
    assert x0 - 1 < x < x1 + 1 and y0 - 1 < y < y1 + 1


def test_move_the_latent_point_to_your_digit(uploaded):
    at = uploaded
    x, y = _map(at)["own"]
    at.button(key="go_to_own").click().run()
    assert_healthy(at)
    z1, z2 = at.slider(key="z1"), at.slider(key="z2")
    expected = (round(float(np.clip(x, z1.min, z1.max)), 2),
                round(float(np.clip(y, z2.min, z2.max)), 2))
    assert (z1.value, z2.value) == pytest.approx(expected)
    assert _map(at)["point"] == pytest.approx(list(expected))


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
    assert image_url(at, "what the model sees") == before
    assert _map(at)["own"] is not None


def test_removing_the_upload_removes_your_digit(test_split):
    at = _upload(run_app(), "three.png", _photo_png(test_split, 3))
    assert _map(at)["own"] is not None
    at.file_uploader(key="upload").clear().run()
    assert_healthy(at)
    assert _map(at)["own"] is None
    assert any("Nothing yet" in i.value for i in at.info)


def test_an_uploaded_digit_is_a_star_on_the_fallback_scatter(monkeypatch, test_split):
    monkeypatch.setenv(settings.NO_COMPONENTS, "1")
    at = _upload(run_app(), "three.png", _photo_png(test_split, 3))
    assert_healthy(at)
    assert "your digit" in _traces(at)


def test_models_without_a_class_prior_name_no_class(test_split):
    at = run_app({"model": "tutorial-2d"})
    _upload(at, "three.png", _photo_png(test_split, 3))
    assert_healthy(at)
    assert "its reconstruction" in _captions(at)
    assert not [m for m in at.markdown if m.value.startswith("Likeliest class")]
