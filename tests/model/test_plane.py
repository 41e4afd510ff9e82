"""The map's plane (issue 22) on real models: a view point's live decode is the page's, and
ellipses and traversals follow the plane."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae.live import protocol
from cvae.live.routes import live_routes

LATENT = 6  # the toy view's (tests/conftest.py `toy_view`)


@pytest.fixture(scope="module")
def view(toy_view):
    return toy_view


# --- with a shipped model: the live route decodes the page's code; the page follows -------

MODEL = "tfp-16d"


@pytest.fixture(scope="module")
def live_client():
    from cvae.live.routes import registry_decode, registry_submit

    routes = live_routes(base="", decode=registry_decode, submit=registry_submit,
                         models=lambda: frozenset({MODEL}))
    with TestClient(Starlette(routes=routes)) as client:
        yield client


@pytest.mark.parametrize("key", ["z3-z9", "pc2-pc3"])
def test_plane_live_decode_is_the_pages_decode_of_that_view_point(live_client, key):
    from cvae.serving import registry

    svc = registry.service(MODEL).in_plane(key)
    x, y = 0.731, -1.215
    with live_client.websocket_connect("/cvae/live", headers={"origin": "http://testserver"}
                                       ) as ws:
        ws.send_text(f'{{"seq": 5, "model": "{MODEL}", "digit": 4, "x": {x}, "y": {y}, '
                     f'"plane": "{key}"}}')
        seq, gx, gy, grey = protocol.decode_digit(ws.receive_bytes())
        page = svc.digit_at(4, (gx, gy))  # the page's decode of the answered point
        ws.send_text(f'{{"seq": 6, "model": "{MODEL}", "digit": 4, "x": 0, "y": 0, '
                     '"plane": "z3-z17"}')
        refused = ws.receive_json()
    assert seq == 5 and (gx, gy) == pytest.approx((x, y), abs=1e-6)
    want = np.round(np.clip(page, 0, 1) * 255).astype(np.uint8)
    assert np.abs(grey.astype(int) - want.astype(int)).max() <= 1
    default = registry.service(MODEL).digit_at(4, (gx, gy))
    assert np.abs(default - page).max() > 0.05  # another plane is another code
    assert refused["seq"] == 6 and "z17" in refused["error"]


def test_plane_ellipses_and_traversals_follow_the_plane(view):
    from cvae import latent as lt
    from cvae.serving import registry

    cov = np.diag(np.arange(1.0, LATENT + 1))
    cov[1, 4] = cov[4, 1] = 0.8
    on = view.in_plane("z2-z5")  # the ellipse on dims i,j: the marginal of (z_i, z_j)
    e = lt.ellipse(np.zeros(LATENT), cov, on.frame)
    values = np.linalg.eigvalsh(cov[np.ix_([1, 4], [1, 4])])[::-1]
    np.testing.assert_allclose(np.square(e.axes), values, atol=1e-12)

    svc = registry.service(MODEL).in_plane("z3-z9")
    row = svc.traversal_codes(4, (0.5, -0.75), 0)  # traversed from the plane's code
    centre = svc.view.centres[4]
    middle = row[len(row) // 2]
    assert (middle[2], middle[8]) == (0.5, -0.75)
    np.testing.assert_allclose(np.delete(middle, [2, 8]), np.delete(centre, [2, 8]))
    assert svc.ellipses(4, picked=11)[1]["of"] == "picked"
    picked = svc.ellipses(4, picked=11)[1]["centre"]
    np.testing.assert_allclose(picked, svc.view.codes[11][[2, 8]], atol=0.05)
