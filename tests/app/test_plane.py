"""The map's plane (issue 22) on the page: the control and a plane link."""

from __future__ import annotations

import pytest

from cvae import plane as planes
from cvae.page_state import PLANE, Z1, Z2

# --- with a shipped model: the live route decodes the page's code; the page follows -------

MODEL = "tfp-16d"


# --- the page (AppTest) -------------------------------------------------------------------

def test_plane_control_moves_the_map_sliders_and_traversals_to_two_dimensions():
    from cvae.serving import registry
    from harness.apptest import assert_healthy, map_data, run_app

    at = run_app({"model": MODEL, "digit": "2"})
    assert_healthy(at)
    kind = at.selectbox(key="plane_kind")
    assert kind.label == "Map plane" and kind.value == planes.DEFAULT
    assert (at.slider(key=Z1).label, at.slider(key=Z2).label) == (
        "PC 1 of the codes", "PC 2 of the codes")
    svc = registry.service(MODEL)
    first, second = svc.traversal_order()[0][:2]  # the two most active dimensions
    code = svc.view.latent_at(2, (at.slider(key=Z1).value, at.slider(key=Z2).value))

    at = kind.set_value(planes.DIMENSIONS).run()
    assert_healthy(at)
    key = f"z{first + 1}-z{second + 1}"
    assert at.query_params[PLANE] == key
    titles = planes.parse(key, 16).titles(16)
    assert (at.slider(key=Z1).label, at.slider(key=Z2).label) == titles
    data = map_data(at)
    assert data["titles"] == list(titles) and data["plane"] == key
    assert f"&plane={key}" in data["points"] and f"&plane={key}" in data["regions"]
    # the point keeps the current code's coordinates in the new plane
    assert data["point"] == pytest.approx([code[first], code[second]], abs=0.006)
    at = at.toggle(key="traversals_on").set_value(True).run()  # traversed from this code
    assert any(f"view (map plane: Dimensions {first + 1} & {second + 1})" in c.value
               for c in at.caption)

    at = at.selectbox(key="plane_across").set_value(second).run()  # the other axis's: swap
    assert at.query_params[PLANE] == f"z{second + 1}-z{first + 1}"
    at = at.selectbox(key="model").set_value("tutorial-2d").run()  # another model: default
    assert_healthy(at)
    assert PLANE not in at.query_params
    assert "plane_kind" not in [s.key for s in at.selectbox]
    assert (at.slider(key=Z1).label, at.slider(key=Z2).label) == ("z₁", "z₂")


def test_a_plane_link_reopens_the_plane_and_a_bad_one_is_noted():
    from harness.apptest import assert_healthy, map_data, run_app

    at = run_app({"model": MODEL, "plane": "pc1-pc3", "z1": "0.5", "z2": "-0.25"})
    assert_healthy(at)
    assert not at.warning
    assert at.selectbox(key="plane_kind").value == "pc1-pc3"
    data = map_data(at)
    assert data["point"] == [0.5, -0.25] and data["titles"][1] == "PC 3 of the codes"
    at = run_app({"model": MODEL, "plane": "z2-z40"})
    assert at.selectbox(key="plane_kind").value == planes.DEFAULT
    (warning,) = at.warning
    assert "`plane=z2-z40` was ignored" in warning.value and "z40" in warning.value
