"""Ellipses on the page: their data reaches the map, and the fallback scatter draws them."""

from __future__ import annotations

import json

import numpy as np

from cvae import settings


def test_ellipse_data_reaches_the_map_with_the_picked_digit():
    from harness.apptest import assert_healthy, map_data, run_app

    at = run_app({"model": "tfp-16d", "digit": "3", "pick": "11"})
    assert_healthy(at)
    data = map_data(at)
    assert data is not None
    shapes = {e["of"]: e for e in data["ellipses"]}
    assert set(shapes) == {"prior", "picked"}
    np.testing.assert_allclose(shapes["picked"]["centre"], data["picked"], atol=1e-3)
    assert len(json.dumps(data["ellipses"])) < 500
    assert data["regions"].startswith("cvae/regions/tfp-16d?v=")


def test_ellipse_lines_are_drawn_on_the_fallback_scatter(monkeypatch):
    from harness.apptest import assert_healthy, run_app

    monkeypatch.setenv(settings.NO_COMPONENTS, "1")
    at = run_app({"model": "class-prior-2d", "digit": "3", "pick": "5"})
    assert_healthy(at)
    (chart,) = [c for c in at.get("plotly_chart") if "test digit" in c.proto.spec]
    names = {t.get("name") for t in json.loads(chart.proto.spec)["data"]}
    assert {"prior of the class", "q(z | x) of the picked digit"} <= names
