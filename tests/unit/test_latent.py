"""Pure latent/grid maths: quantile grids, class-mean offsets, projection, interpolation."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from cvae import latent as lt


def test_normal_quantiles_match_the_write_up_span():
    q = lt.normal_quantiles(15)
    assert q[0] == pytest.approx(NormalDist().inv_cdf(0.05))
    assert q[-1] == pytest.approx(1.6448536, abs=1e-6)
    assert q[7] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(q) > 0)
    assert lt.normal_quantiles(1).tolist() == [0.0]
    with pytest.raises(ValueError):
        lt.normal_quantiles(5, upper=0.4)


def test_grid_offsets_layout_top_row_is_highest():
    g = lt.grid_offsets(3).reshape(3, 3, 2)
    assert np.all(np.diff(g[:, :, 0], axis=1) > 0)  # x grows to the right
    assert np.all(np.diff(g[:, :, 1], axis=0) < 0)  # y shrinks downwards
    assert g[1, 1].tolist() == pytest.approx([0.0, 0.0])


def test_class_mean_shifted_grid_is_centred_on_the_class_mean_2d():
    frame = lt.identity_frame(2)
    mean = np.array([1.5, -2.0])
    codes = lt.shifted_grid(frame, mean, 5)
    assert codes.shape == (25, 2)
    assert codes.mean(axis=0) == pytest.approx(mean)
    assert codes[12] == pytest.approx(mean)  # centre cell
    np.testing.assert_allclose(codes - mean, lt.grid_offsets(5))


def test_principal_directions_find_the_leading_ones_and_lift_keeps_the_rest():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((2000, 5)) * np.array([0.1, 5.0, 0.2, 2.0, 0.1])
    frame = lt.Frame(lt.principal_directions(codes))
    assert abs(frame.basis[1, 0]) > 0.99 and abs(frame.basis[3, 1]) > 0.99
    np.testing.assert_allclose(frame.basis.T @ frame.basis, np.eye(2), atol=1e-12)
    base = rng.standard_normal(5)
    z = frame.lift(np.array([0.5, -1.0]), base)
    np.testing.assert_allclose(frame.project(z), [0.5, -1.0])
    resid = lambda v: v - frame.basis @ frame.project(v)  # noqa: E731
    np.testing.assert_allclose(resid(z), resid(base), atol=1e-12)
    assert lt.principal_directions(codes[:, :2]).tolist() == np.eye(2).tolist()


def test_shifted_grid_in_higher_dimensions_varies_only_in_the_view_plane():
    rng = np.random.default_rng(1)
    frame = lt.Frame(lt.principal_directions(rng.standard_normal((500, 6))))
    mean = rng.standard_normal(6)
    codes = lt.shifted_grid(frame, mean, 4, upper=0.9)
    off_plane = codes - (codes @ frame.basis) @ frame.basis.T
    np.testing.assert_allclose(off_plane, np.tile(mean - frame.basis @ frame.project(mean),
                                                  (16, 1)), atol=1e-12)
    np.testing.assert_allclose(frame.project(codes) - frame.project(mean),
                               lt.grid_offsets(4, 0.9), atol=1e-12)


def test_class_centres_and_mixture_moments():
    codes = np.array([[0.0, 0.0], [2.0, 2.0], [10.0, 0.0]])
    centres = lt.class_centres(codes, np.array([0, 0, 3]), classes=4)
    assert centres[0].tolist() == [1.0, 1.0] and centres[3].tolist() == [10.0, 0.0]
    assert np.isnan(centres[1]).all()
    mean, std = lt.mixture_moments(np.array([[-1.0, 0.0], [1.0, 0.0]]))
    assert mean.tolist() == [0.0, 0.0] and std.tolist() == pytest.approx([np.sqrt(2.0), 1.0])


def test_interpolate_and_view_bounds():
    path = lt.interpolate(np.zeros(3), np.ones(3), 5)
    assert path.shape == (5, 3) and path[2].tolist() == [0.5] * 3
    (x0, x1), (y0, y1) = lt.view_bounds(np.array([[-10.0, 0.2], [1.0, 0.4]] * 50))
    assert x0 <= -10.0 and x1 >= 3.0 and y0 == -3.0 and y1 == 3.0
    assert x0 % 0.5 == 0
