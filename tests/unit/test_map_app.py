"""What the latent map sends back, read defensively: a picked test digit and a latent point."""

from __future__ import annotations

from cvae import latent_map


def test_read_pick_and_read_point_accept_only_valid_values():
    assert latent_map.read_pick({"index": 5}, 10) == 5
    for bad in ({"index": True}, {"index": 10}, {"index": -1}, {"index": "3"}, None, {}):
        assert latent_map.read_pick(bad, 10) is None
    assert latent_map.read_point({"x": 1, "y": "2.5"}) == (1.0, 2.5)
    for bad in ({"x": "nan", "y": 0}, {"x": 1}, None, {"x": [], "y": 0}):
        assert latent_map.read_point(bad) is None
