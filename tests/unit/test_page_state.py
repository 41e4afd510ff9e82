"""Page state transitions, on plain dicts (no Streamlit run): what each user action does to
the session and to the URL."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from cvae.explorer import SLIDER_BOUNDS
from cvae.page_state import PICK, Z1, Z2, OwnDigit, PageState, link_fields


@pytest.fixture
def page() -> PageState:
    return PageState({}, {})


def _png(draw_ink: bool = True) -> bytes:
    img = Image.new("L", (120, 120), 255)
    if draw_ink:
        img.paste(0, (50, 20, 70, 100))  # a "1"
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_first_point_is_the_class_centre_and_stays_until_recentred(page):
    assert page.point is None
    assert page.settle_point((1.234, -2.0)) == (1.23, -2.0)
    page.move_point((0.5, 0.5))
    assert page.settle_point((1.0, 1.0)) == (0.5, 0.5)  # no recentre pending: kept
    page.recentre()
    assert page.settle_point((1.0, 1.0)) == (1.0, 1.0)
    assert page.settle_point((3.0, 3.0)) == (1.0, 1.0)  # applied once


def test_points_are_clamped_to_the_sliders_and_rounded_to_their_step(page):
    (lo, hi), _ = SLIDER_BOUNDS
    assert page.move_point((hi + 50, float("nan"))) == (hi, 0.0)
    assert page.move_point((lo - 1, 0.126)) == (lo, 0.13)


def test_pick_moves_the_point_and_writes_the_url_clear_removes_it():
    state, query = {}, {"model": "x"}
    page = PageState(state, query)
    page.pick(42, (2.0, -3.0))
    assert (page.picked, page.point, query[PICK]) == (42, (2.0, -3.0), "42")
    page.clear_pick()
    assert page.picked is None and PICK not in query and query == {"model": "x"}
    assert (state[Z1], state[Z2]) == (2.0, -3.0)  # clearing the pick keeps the point


def test_a_link_is_read_once_unknown_keys_dropped_and_a_bad_pick_noted():
    raw = {"pick": ["99999"], "utm": ["x"], "embed": ["true"], "z1": ["1.0"]}
    query = {key: values[0] for key, values in raw.items()}
    page = PageState({}, query)
    assert page.first_run
    page.read_link(raw, link_fields(["m"], n_test=100))
    assert not page.first_run
    assert page.picked is None
    assert "utm" not in query and "pick" not in query and "embed" in query and "z1" in query
    assert any("pick" in note for note in page.link_notes)
    page.dismiss_link_notes()
    assert page.link_notes == []


def test_a_valid_link_pick_is_restored():
    page = PageState({}, {"pick": "7"})
    page.read_link({"pick": ["7"]}, link_fields(["m"], n_test=100))
    assert page.picked == 7 and page.link_notes == []


def test_a_drawing_becomes_your_digit_and_clear_forgets_it(page):
    url = "data:image/png;base64," + base64.b64encode(_png()).decode()
    page.use_drawing(url)
    assert isinstance(page.own, OwnDigit) and page.own.kind == "drawing"
    assert page.own.image.shape == (28, 28) and page.own.image.dtype == np.uint8
    page.use_drawing(None)
    assert page.own is None and page.own_note is None


def test_a_bad_upload_is_explained_and_keeps_your_digit(page):
    page.use_upload("one.png", _png())
    kept = page.own
    assert kept is not None and kept.source == "`one.png`"
    page.use_upload("bad`name.png", b"not an image")
    assert page.own is kept
    assert "`bad'name.png` could not be used" in page.own_note
    page.use_upload("too big.png", b"\0" * 2_000_001)
    assert page.own is kept and "limit is 1 MB" in page.own_note


def test_removing_an_upload_does_not_forget_a_drawing(page):
    url = "data:image/png;base64," + base64.b64encode(_png()).decode()
    page.use_drawing(url)
    page.use_upload(None, None)
    assert page.own is not None and page.own.kind == "drawing"


def test_new_samples_change_the_seed(page):
    assert page.sample_seed == 0
    page.next_samples()
    page.next_samples()
    assert page.sample_seed == 2
