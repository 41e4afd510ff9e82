"""Posterior and prior ellipses: the view ellipse of a Gaussian and its projection on the view
plane of a higher-dimensional latent space."""

from __future__ import annotations

import numpy as np
import pytest

from cvae import latent as lt
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
