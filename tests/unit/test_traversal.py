"""Traversals (one latent dimension at a time) and the active-unit count, on NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from cvae import latent as lt


def test_traversal_row_changes_only_its_dimension():
    code = np.random.default_rng(0).standard_normal(7)
    for dim in range(7):
        row = lt.traversal(code, dim, steps=9, spread=3.0)
        assert row.shape == (9, 7)
        others = np.delete(row, dim, axis=1)
        np.testing.assert_array_equal(others, np.repeat(np.delete(code, dim)[None], 9, 0))
        np.testing.assert_allclose(row[:, dim] - code[dim], np.linspace(-3, 3, 9))


def test_traversal_rejects_a_dimension_out_of_range():
    with pytest.raises(ValueError, match="dim"):
        lt.traversal(np.zeros(3), 3)


def test_active_units_count_is_the_variances_over_the_threshold():
    variances = np.array([0.5, 0.001, 0.02, 0.01, 3.0])
    assert lt.active_units(variances).tolist() == [4, 0, 2]  # most active first
