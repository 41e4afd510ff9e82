"""The ellipse the service gives for a picked digit: its posterior projected on the view."""

from __future__ import annotations

import numpy as np
import pytest


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
