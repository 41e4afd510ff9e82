"""Decoder regions: the route serving the judged lattice of a view region."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae.live.regions import DEFAULT_N, decode_regions, regions_route

MODELS = frozenset({"tutorial-2d"})


def fake_lattice(model, digit, x, y, n, plane="pc1-pc2"):
    """Labels counting through the cells, confidence rising with them."""
    cells = np.arange(n * n)
    return (cells % 10).astype(np.uint8), cells / (n * n - 1)


@pytest.fixture()
def client():
    calls = []

    def source(*args):
        calls.append(args)
        return fake_lattice(*args)

    app = Starlette(routes=[regions_route("/demo", source=source, models=lambda: MODELS)])
    with TestClient(app) as c:
        c.calls = calls
        yield c


def test_region_route_serves_the_binary_layout(client):
    r = client.get("/demo/cvae/regions/tutorial-2d?digit=4&x0=-3&x1=2.5&y0=-1&y1=1&n=64")
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    assert len(r.content) <= 10_000
    query, labels, confidence = decode_regions(r.content)
    assert (query.digit, query.x, query.y, query.n) == (4, (-3.0, 2.5), (-1.0, 1.0), 64)
    want_labels, want_conf = fake_lattice(None, 4, None, None, 64)
    assert labels.ravel().tolist() == want_labels.tolist()
    np.testing.assert_allclose(confidence.ravel(), want_conf, atol=0.5 / 255 + 1e-9)
    assert client.calls == [("tutorial-2d", 4, (-3.0, 2.5), (-1.0, 1.0), 64, "pc1-pc2")]


def test_region_route_defaults_n_and_rounds_the_region(client):
    r = client.get("/demo/cvae/regions/tutorial-2d?digit=0&x0=-1.00004&x1=1&y0=-1&y1=1")
    assert r.status_code == 200
    assert client.calls == [("tutorial-2d", 0, (-1.0, 1.0), (-1.0, 1.0), DEFAULT_N, "pc1-pc2")]


@pytest.mark.parametrize("query, why", [
    ("x0=-1&x1=1&y0=-1&y1=1", "digit"),
    ("digit=10&x0=-1&x1=1&y0=-1&y1=1", "digit"),
    ("digit=3&x1=1&y0=-1&y1=1", "x0 is missing"),
    ("digit=3&x0=abc&x1=1&y0=-1&y1=1", "x0 must be a number"),
    ("digit=3&x0=nan&x1=1&y0=-1&y1=1", "x0 must be finite"),
    ("digit=3&x0=-1e9&x1=1&y0=-1&y1=1", "within"),
    ("digit=3&x0=1&x1=-1&y0=-1&y1=1", "x0 < x1"),
    ("digit=3&x0=-1&x1=1&y0=0&y1=0.01", "at least"),
    ("digit=3&x0=-1&x1=1&y0=-1&y1=1&n=65", "n must be"),
    ("digit=3&x0=-1&x1=1&y0=-1&y1=1&n=4", "n must be"),
    ("digit=3&x0=-1&x1=1&y0=-1&y1=1&n=4.5", "n must be"),
])
def test_region_route_refuses_bad_input_with_a_clear_message(client, query, why):
    r = client.get(f"/demo/cvae/regions/tutorial-2d?{query}")
    assert r.status_code == 400
    assert r.text.startswith("bad regions request:") and why in r.text
    assert client.calls == []


def test_region_route_refuses_unknown_models(client):
    ok = "digit=3&x0=-1&x1=1&y0=-1&y1=1"
    assert client.get(f"/demo/cvae/regions/nope?{ok}").status_code == 404
    assert client.get(f"/demo/cvae/regions/..%2Fjudge?{ok}").status_code == 404
    assert client.get(f"/cvae/regions/tutorial-2d?{ok}").status_code == 404  # base path
    assert client.calls == []
