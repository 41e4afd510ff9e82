"""Plotly figure helpers: parsing the scatter's selection events."""

from __future__ import annotations

import pytest

from cvae import figures


@pytest.mark.parametrize("event, expected", [
    ({"selection": {"points": [{"customdata": [42, 7], "x": 1.0}]}}, 42),
    ({"selection": {"points": [{"customdata": 17}]}}, 17),
    ({"selection": {"points": [{"customdata": {"0": 3031, "1": 6}}]}}, 3031),
    ({"selection": {"points": [{"customdata": {"1": 6}}]}}, None),
    ({"selection": {"points": [{"x": 1.0}, {"customdata": [3]}]}}, 3),
    ({"selection": {"points": []}}, None),
    ({"selection": {"points": [{"customdata": [99999]}]}}, None),
    ({"selection": {"points": [{"customdata": ["../etc"]}]}}, None),
    ({"selection": {"points": [{"customdata": [True]}]}}, None),
    ({"selection": {"points": [{"customdata": [2.5]}]}}, None),
    ({"selection": {"points": "junk"}}, None),
    (None, None),
    ({}, None),
])
def test_selected_index_from_plotly_events(event, expected):
    assert figures.selected_index(event, 10000) == expected
