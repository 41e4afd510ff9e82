"""The Streamlit page, driven headlessly with AppTest: the default view, class, slider and
grid changes, model switches, and links (valid, garbage, a picked digit)."""

from __future__ import annotations

import json

import pytest

from cvae import catalog
from harness.apptest import (
    assert_healthy,
    class_grid,
    decoded_digit,
    map_data,
    run_app,
    widget_values,
)


def test_default_load_shows_everything_without_exceptions(default_app):
    at = default_app
    assert_healthy(at)
    values = widget_values(at)
    assert values["model"] == "class-prior-2d" and values["digit"] == 8
    assert {"z1", "z2", "n", "span"} <= values.keys()
    decoded_digit(at)
    class_grid(at)
    assert any(c.startswith("the same 16 latent points") for i in at.get("image")
               for c in i.captions), "model card progress grid missing"
    recorded = json.loads((catalog.bundle_path("class-prior-2d") / "metrics.json").read_text())
    shown = {m.label: m.value for m in at.metric}
    assert shown["Test ELBO"] == f"{recorded['test_elbo']:.2f}"
    assert shown[f"IWAE (k={recorded['iwae_k']})"] == f"{recorded['test_iwae']:.2f}"
    assert not at.warning  # no link notes on a plain visit


def test_changing_the_class_changes_the_grid_and_recentres_the_point():
    at = run_app()
    grid, point = class_grid(at), (at.slider(key="z1").value, at.slider(key="z2").value)
    at.radio(key="digit").set_value(3).run()
    assert_healthy(at)
    assert class_grid(at) != grid
    assert (at.slider(key="z1").value, at.slider(key="z2").value) != point


def test_moving_a_slider_changes_the_decoded_digit():
    at = run_app()
    before = decoded_digit(at)
    slider = at.slider(key="z1")
    slider.set_value(round(slider.value + 1.5, 2)).run()
    assert_healthy(at)
    assert decoded_digit(at) != before


def test_grid_settings_change_the_grid():
    at = run_app()
    before = class_grid(at)
    at.slider(key="n").set_value(7).run()
    assert_healthy(at)
    assert class_grid(at) != before
    assert "7×7 codes" in " ".join(c for i in at.get("image") for c in i.captions)


@pytest.mark.parametrize("model", ["tutorial-2d", "tutorial-50d"])
def test_switching_models_works(model):
    at = run_app()
    at.selectbox(key="model").set_value(model).run()
    assert_healthy(at)
    assert widget_values(at)["model"] == model
    assert any(model in c.value for c in at.caption)
    decoded_digit(at)
    class_grid(at)


def test_a_link_with_valid_state_restores_it():
    query = {"model": "tutorial-2d", "digit": "3", "z1": "0.5", "z2": "-1.25", "n": "7",
             "span": "0.9"}
    at = run_app(query)
    assert_healthy(at)
    assert widget_values(at) == {"model": "tutorial-2d", "digit": 3, "z1": 0.5, "z2": -1.25,
                                 "n": 7, "span": 0.9}
    assert map_data(at)["point"] == [0.5, -1.25]  # the decoded digit's point, on the map
    assert not at.warning


def test_a_link_with_garbage_loads_defaults_and_says_so():
    query = {"model": "../../etc/passwd", "digit": "banana", "z1": "nan", "z2": "1e999",
             "n": "-4", "span": "<script>alert(1)</script>", "pick": "99999",
             "utm_source": "x"}
    at = run_app(query)
    assert_healthy(at)
    values = widget_values(at)
    assert values["model"] == "class-prior-2d" and values["digit"] == 8
    assert values["n"] == 15 and values["span"] == 0.95
    assert len(at.warning) == 1
    note = at.warning[0].value
    for field in ("model", "digit", "z1", "z2", "n", "span", "pick", "utm_source"):
        assert f"`{field}" in note, field
    assert "utm_source" not in at.query_params


def test_a_picked_digit_in_the_link_is_restored():
    at = run_app({"model": "tutorial-2d", "pick": "42"})
    assert_healthy(at)
    assert any("Picked test digit #42" in m.value for m in at.markdown)


def test_switching_models_recentres_even_when_the_link_holds_a_point():
    """The URL keeps z1/z2 from the link; a model switch must still move the point to the
    new model's class centre (the sliders keep their identity across models)."""
    at = run_app({"model": "tutorial-2d", "digit": "3", "z1": "0.5", "z2": "-1.25"})
    assert (at.slider(key="z1").value, at.slider(key="z2").value) == (0.5, -1.25)
    at.selectbox(key="model").set_value("class-prior-2d").run()
    assert_healthy(at)
    from cvae.data import load_test_split
    from cvae.explorer import build_view
    from cvae.serving.core import load_core

    view = build_view(load_core(catalog.bundle_path("class-prior-2d")), load_test_split())
    assert (at.slider(key="z1").value, at.slider(key="z2").value) == view.start_point(3)
