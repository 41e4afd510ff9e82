"""Shared fixtures: quiet TensorFlow and the shipped test split (unit, model and app tiers)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest


@pytest.fixture(scope="session")
def test_split():
    from cvae.data import load_test_split

    return load_test_split()
