"""Posterior and prior ellipses: the view ellipse of a Gaussian, its projection on the view
plane of a higher-dimensional latent space, and what the service gives the map."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cvae import latent as lt
from cvae import settings
from cvae.figures import ellipse_traces


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T + 0.1 * np.eye(d)


def _mahalanobis(points: np.ndarray, centre: np.ndarray, cov: np.ndarray) -> np.ndarray:
    delta = points - centre
    return np.sqrt(np.einsum("ni,ij,nj->n", delta, np.linalg.inv(cov), delta))


@pytest.mark.parametrize("seed", range(5))
def test_ellipse_axes_match_the_covariance_eigendecomposition(seed):
    rng = np.random.default_rng(seed)
    cov, mean = _spd(rng, 2), rng.standard_normal(2)
    e = lt.ellipse(mean, cov, lt.identity_frame(2))
    values, vectors = np.linalg.eigh(cov)
    np.testing.assert_allclose(np.square(e.axes), values[::-1], rtol=1e-10)
    major = np.array([np.cos(e.angle), np.sin(e.angle)])
    assert abs(abs(major @ vectors[:, 1]) - 1) < 1e-10  # along the largest eigenvector
    assert -np.pi / 2 < e.angle <= np.pi / 2
    np.testing.assert_allclose(e.centre, mean)
    for sigma in (1, 2):  # every outline point is at Mahalanobis distance sigma
        np.testing.assert_allclose(_mahalanobis(e.outline(sigma), mean, cov), sigma,
                                   rtol=1e-9)


def test_ellipse_of_a_diagonal_covariance_is_axis_aligned():
    e = lt.ellipse(np.zeros(2), np.array([0.25, 4.0]), lt.identity_frame(2))
    assert e.axes == pytest.approx((2.0, 0.5))
    assert abs(abs(e.angle) - np.pi / 2) < 1e-12  # the long axis is the second view axis


@pytest.mark.parametrize("diagonal", [False, True])
def test_ellipse_projects_a_higher_dimensional_covariance_onto_the_view_plane(diagonal):
    """For latent 6 and a tilted view plane, the ellipse is the one of the codes' view
    coordinates: checked against the sample covariance of projected draws."""
    rng = np.random.default_rng(7)
    cov = np.diag(rng.uniform(0.1, 3.0, 6)) if diagonal else _spd(rng, 6)
    mean = rng.standard_normal(6)
    basis, _ = np.linalg.qr(rng.standard_normal((6, 2)))
    frame = lt.Frame(basis)
    e = lt.ellipse(mean, np.diag(cov) if diagonal else cov, frame)
    draws = rng.multivariate_normal(mean, cov, size=400_000) @ basis
    sample_values = np.linalg.eigvalsh(np.cov(draws.T))[::-1]
    np.testing.assert_allclose(np.square(e.axes), sample_values, rtol=0.02)
    np.testing.assert_allclose(e.centre, mean @ basis, atol=1e-12)
    inside = _mahalanobis(draws[:20_000], draws.mean(axis=0), np.cov(draws.T)) <= 1.0
    assert abs(inside.mean() - (1 - np.exp(-0.5))) < 0.01  # 39% of a 2-D Gaussian within 1σ


def test_ellipse_rejects_a_covariance_of_the_wrong_size():
    with pytest.raises(ValueError, match="covariance"):
        lt.ellipse(np.zeros(3), np.eye(2), lt.identity_frame(3))


def test_ellipse_traces_draw_one_and_two_sigma_contours():
    data = [{"of": "picked", "centre": [1.0, -1.0], "axes": [2.0, 0.5], "angle": 0.3,
             "sigmas": [1, 2]}]
    traces = ellipse_traces(data)
    assert len(traces) == 2 and [t["showlegend"] for t in traces] == [True, False]
    e = lt.Ellipse((1.0, -1.0), (2.0, 0.5), 0.3)
    cov = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    cov = cov @ np.diag([4.0, 0.25]) @ cov.T
    for sigma, trace in zip((1, 2), traces, strict=True):
        pts = np.stack([np.asarray(trace["x"]), np.asarray(trace["y"])], axis=-1)
        np.testing.assert_allclose(_mahalanobis(pts, np.array(e.centre), cov), sigma,
                                   rtol=1e-9)


@pytest.fixture(scope="module")
def tfp_16d():
    """The 16-D full-covariance model's shared service."""
    from cvae.serving import registry

    return registry.service("tfp-16d")


def test_ellipse_of_a_picked_digit_is_its_posterior_projected_on_the_view(tfp_16d,
                                                                         test_split):
    from cvae.data import binarize

    index = 11
    shapes = tfp_16d.ellipses(3, picked=index)
    assert [e["of"] for e in shapes] == ["prior", "picked"]
    assert len(repr(shapes)) < 500  # a few hundred bytes per pick
    q = tfp_16d.core.vae.posterior(binarize(test_split.images[index:index + 1]))
    cov = q.covariance().numpy()[0].astype(np.float64)
    basis = tfp_16d.view.frame.basis
    values = np.linalg.eigvalsh(basis.T @ cov @ basis)[::-1]
    picked = shapes[1]
    np.testing.assert_allclose(np.square(picked["axes"]), values, rtol=1e-3)
    np.testing.assert_allclose(picked["centre"], tfp_16d.view.coords[index], atol=1e-3)
    prior = shapes[0]  # N(0, I) seen in an orthonormal view: the unit circle at the origin
    np.testing.assert_allclose(prior["axes"], [1, 1], atol=1e-4)
    np.testing.assert_allclose(prior["centre"], [0, 0], atol=1e-4)
    own = tfp_16d.ellipses(3, own=test_split.images[index])
    assert own[-1]["of"] == "own" and np.all(np.asarray(own[-1]["axes"]) > 0)


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
