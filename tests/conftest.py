"""Shared fixtures: quiet TensorFlow, the shipped bundles and the shipped test split."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from harness.paths import WEIGHTS


@pytest.fixture(scope="session")
def test_split():
    from cvae.data import load_test_split

    return load_test_split()


@pytest.fixture(scope="session")
def tutorial_2d():
    import cvae

    return cvae.load(WEIGHTS / "tutorial-2d")


@pytest.fixture(scope="session")
def class_prior_2d():
    import cvae

    return cvae.load(WEIGHTS / "class-prior-2d")
