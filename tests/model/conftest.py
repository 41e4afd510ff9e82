"""Model-tier fixtures: shipped bundles loaded once per session."""

from __future__ import annotations

import pytest

from harness.paths import WEIGHTS


@pytest.fixture(scope="session")
def tutorial_2d():
    import cvae

    return cvae.load(WEIGHTS / "tutorial-2d")


@pytest.fixture(scope="session")
def class_prior_2d():
    import cvae

    return cvae.load(WEIGHTS / "class-prior-2d")
