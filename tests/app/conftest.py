"""App-tier fixtures."""

from __future__ import annotations

import pytest

from harness.apptest import run_app


@pytest.fixture(scope="module")
def default_app():
    """The page at its default link, run once per test module."""
    return run_app()
