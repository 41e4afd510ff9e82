"""Plotly figure helpers: the shared scatter dict, parsing the scatter's selection events."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cvae import figures
from cvae import latent as lt
from cvae.explorer import ModelView


def _view(n: int = 40) -> ModelView:
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((n, 2))
    labels = np.arange(n) % 10
    frame = lt.identity_frame(2)
    return ModelView(name="toy", latent=2, class_mean_prior=False, codes=codes, labels=labels,
                     frame=frame, coords=codes, centres=lt.class_centres(codes, labels),
                     bounds=((-3.0, 3.0), (-3.0, 3.0)))


def test_overlays_leave_the_shared_scatter_base_unchanged():
    view = _view()
    base = figures.scatter_base(view)
    before = copy.deepcopy(base)
    for point in ((0.5, 0.5), None):
        fig = figures.scatter_with_overlays(base, figures.overlay_traces(view, 3, point,
                                                                         picked=1))
        assert len(fig["data"]) == len(base["data"]) + (3 if point else 2)
    assert base == before


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
