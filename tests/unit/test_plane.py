"""The map's plane (issue 22): principal pairs or any two latent dimensions, the plane in a
link, and the routes that follow it."""

from __future__ import annotations

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cvae import plane as planes
from cvae.live import points, protocol
from cvae.live.regions import regions_route
from cvae.live.routes import live_routes
from cvae.page_state import PLANE, Z1, Z2, PageState, link_fields
from cvae.urlstate import check_query

LATENT = 6  # the toy view's (tests/conftest.py `toy_view`)


@pytest.fixture(scope="module")
def view(toy_view):
    return toy_view


# --- plane keys ---------------------------------------------------------------------------

@pytest.mark.parametrize("key, want", [
    ("pc1-pc2", planes.Plane("pc", 0, 1)), ("pc2-pc4", planes.Plane("pc", 1, 3)),
    ("z3-z1", planes.Plane("z", 2, 0)), ("z16-z2", planes.Plane("z", 15, 1)),
])
def test_plane_keys_parse_and_print_back(key, want):
    assert planes.parse(key, 16) == want and want.key == key


@pytest.mark.parametrize("key, latent, why", [
    ("z3-z3", 16, "must differ"), ("z17-z1", 16, "z17 is not a dimension"),
    ("pc1-pc5", 16, "principal pairs offered"), ("pc2-pc1", 16, "principal pairs offered"),
    ("pc1-z2", 16, "zI-zJ"), ("z01-z2", 16, "zI-zJ"), ("", 16, "zI-zJ"),
    ("z1-z2", 2, "always shows both"), ("x" * 400, 50, "zI-zJ"),
])
def test_a_bad_plane_key_says_why(key, latent, why):
    with pytest.raises(planes.PlaneError, match=why):
        planes.parse(key, latent)


def test_plane_controls_open_dimensions_on_the_most_active_and_swap_on_a_clash():
    pc, dims = planes.Plane("pc", 0, 1), planes.Plane("z", 4, 2)
    assert planes.chosen("pc1-pc3", None, None, pc, [3, 1, 0]).key == "pc1-pc3"
    assert planes.chosen(planes.DIMENSIONS, 0, 1, pc, [3, 1, 0]).key == "z4-z2"
    assert planes.chosen(planes.DIMENSIONS, 4, 7, dims, [0, 1]).key == "z5-z8"
    assert planes.chosen(planes.DIMENSIONS, 2, 2, dims, [0, 1]).key == "z3-z5"  # swapped


# --- what a view point is on each plane ---------------------------------------------------

def test_a_point_on_plane_dims_i_j_decodes_the_centre_with_i_and_j_set(view):
    on = view.in_plane("z5-z2")
    assert on.plane == "z5-z2" and on.axis_titles == ("z₅", "z₂")
    for digit in (0, 7):
        code = on.latent_at(digit, (1.25, -0.5))
        want = np.array(view.centres[digit], np.float64)
        want[4], want[1] = 1.25, -0.5  # across is z5, up is z2; the rest the class centre
        np.testing.assert_allclose(code, want, atol=1e-12)
    np.testing.assert_allclose(on.coords, view.codes[:, [4, 1]])
    np.testing.assert_allclose(on.centre_coords, view.centres[:, [4, 1]])
    (x0, x1), (y0, y1) = on.bounds  # the plot covers the plane's codes (quantile 0.001)
    assert x0 < np.quantile(view.codes[:, 4], 0.01) < np.quantile(view.codes[:, 4], 0.99) < x1
    assert y0 < np.quantile(view.codes[:, 1], 0.01) < np.quantile(view.codes[:, 1], 0.99) < y1


def test_principal_planes_are_orthonormal_pairs_of_the_leading_directions(view):
    default = view.in_plane(planes.DEFAULT)
    assert default is view and view.axis_titles == ("PC 1 of the codes", "PC 2 of the codes")
    on = view.in_plane("pc2-pc4")
    basis = on.frame.basis
    np.testing.assert_allclose(basis.T @ basis, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(basis, view.directions[:, [1, 3]])
    # the data's spread falls from PC 1 to PC 4 (the codes' scales fall with the dimension)
    spread = [np.var(view.in_plane(k).coords, axis=0) for k in ("pc1-pc2", "pc2-pc4")]
    assert spread[0][0] > spread[0][1] > spread[1][1]
    code = on.latent_at(3, (0.4, 0.2))
    np.testing.assert_allclose(on.frame.project(code), (0.4, 0.2), atol=1e-12)
    off = code - view.centres[3]  # the change from the centre lies in the plane
    np.testing.assert_allclose(off, basis @ (basis.T @ off), atol=1e-12)
    assert view.in_plane("pc2-pc4") is on  # built once


def test_a_plane_the_model_lacks_is_refused(view):
    with pytest.raises(planes.PlaneError):
        view.in_plane("z7-z1")


# --- the plane in a link ------------------------------------------------------------------

def test_plane_url_round_trip_reopens_the_plane_and_default_stays_out_of_the_url():
    state, query = {}, {}
    page = PageState(state, query)
    page.read_link({}, link_fields(["tfp-16d"], 100, latent=16))
    assert page.plane == planes.DEFAULT and PLANE not in query
    page.choose_plane("z3-z7", (0.25, -1.5))
    assert query[PLANE] == "z3-z7" and (state[Z1], state[Z2]) == (0.25, -1.5)
    link = {PLANE: [query[PLANE]], "model": ["tfp-16d"]}
    other = PageState({}, dict(query))  # the link opened in another session
    other.read_link(link, link_fields(["tfp-16d"], 100, latent=16))
    assert other.plane == "z3-z7" and other.link_notes == []
    page.new_model()  # another model: its map opens on the default plane
    assert page.plane == planes.DEFAULT and PLANE not in query


@pytest.mark.parametrize("bad, latent", [("z3-z70", 16), ("banana", 16), ("z1-z2", 2)])
def test_a_bad_plane_link_is_noted_and_falls_back_to_the_default(bad, latent):
    query = {PLANE: bad, Z1: "0.5"}
    page = PageState({}, query)
    page.read_link({PLANE: [bad], Z1: ["0.5"]}, link_fields(["m"], 100, latent=latent))
    assert page.plane == planes.DEFAULT and PLANE not in query and query[Z1] == "0.5"
    (note,) = page.link_notes
    assert note.startswith(f"`plane={bad}` was ignored: ") and ("zI-zJ" in note or "z70" in note
                                                                or "both" in note)


def test_a_plane_link_is_checked_against_the_links_model():
    fields = link_fields(["m"], 100, latent=16)
    assert check_query({PLANE: ["z16-z1"]}, fields) == []
    assert check_query({PLANE: ["pc3-pc4"]}, fields) == []
    assert check_query({PLANE: ["z1-z2", "z2-z17"]}, fields)  # the last one counts


# --- the routes follow the plane ----------------------------------------------------------

def test_plane_in_a_live_request_is_checked():
    req = protocol.parse_request('{"seq": 1, "model": "m", "digit": 2, "x": 0.5, "y": 1, '
                                 '"plane": "z3-z7"}', {"m"})
    assert req.plane == "z3-z7"
    default = protocol.parse_request('{"seq": 1, "model": "m", "digit": 2, "x": 0, "y": 0}',
                                     {"m"})
    assert default.plane == planes.DEFAULT
    for bad in ('"z3"', "7", '"pc1-z2"', '"' + "z1-z2" * 10 + '"'):
        with pytest.raises(protocol.ProtocolError, match="plane"):
            protocol.parse_request('{"seq": 4, "model": "m", "digit": 2, "x": 0, "y": 0, '
                                   f'"plane": {bad}}}', {"m"})


def test_points_route_serves_each_plane_and_refuses_a_bad_one(view):
    def source(name: str, plane: str) -> bytes:
        on = view.in_plane(plane)
        return points.encode_points(on.coords, on.labels)

    routes = live_routes(base="", decode=lambda r: None, source=source,
                         models=lambda: frozenset({"toy-6d"}), submit=None)
    with TestClient(Starlette(routes=routes)) as client:
        default = client.get("/cvae/points/toy-6d?v=1")
        other = client.get("/cvae/points/toy-6d?v=1&plane=z2-z6")
        bad = client.get("/cvae/points/toy-6d?v=1&plane=z2-z9")
    assert default.status_code == other.status_code == 200
    np.testing.assert_allclose(points.decode_points(default.content)[0], view.coords, atol=1e-5)
    np.testing.assert_allclose(points.decode_points(other.content)[0], view.codes[:, [1, 5]],
                               atol=1e-5)
    assert bad.status_code == 400 and "z9 is not a dimension" in bad.text


def test_regions_route_passes_the_plane_and_refuses_a_bad_one():
    calls = []

    def source(model, digit, x, y, n, plane):
        calls.append(plane)
        if plane == "z9-z1":
            raise planes.PlaneError("z9 is not a dimension of this model")
        return np.zeros(n * n, np.uint8), np.zeros(n * n)

    app = Starlette(routes=[regions_route("", source=source, models=lambda: {"m"})])
    box = "digit=1&x0=-1&x1=1&y0=-1&y1=1&n=8"
    with TestClient(app) as client:
        assert client.get(f"/cvae/regions/m?{box}&plane=z2-z1").status_code == 200
        assert client.get(f"/cvae/regions/m?{box}").status_code == 200
        lacking = client.get(f"/cvae/regions/m?{box}&plane=z9-z1")
        malformed = client.get(f"/cvae/regions/m?{box}&plane=zz")
    assert calls == ["z2-z1", planes.DEFAULT, "z9-z1"]
    assert lacking.status_code == 400 and "z9" in lacking.text
    assert malformed.status_code == 400 and "pc1-pc2 or z3-z7" in malformed.text
