"""Shared fixtures: quiet TensorFlow, the shipped test split and a toy 6-D view, the judge
and the style model's core (unit, model and app tiers)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest


@pytest.fixture(scope="session")
def test_split():
    from cvae.data import load_test_split

    return load_test_split()


class _FakeCore:
    """Just what `build_view` reads of a core: fixed codes for the split."""

    name, latent, class_mean_prior, prior_means = "toy-6d", 6, False, None

    def __init__(self, codes: np.ndarray) -> None:
        self.codes = codes

    def encode(self, images, labels):
        return (self.codes,)


class _FakeSplit:
    def __init__(self, n: int) -> None:
        self.images = np.zeros((n, 28, 28), np.uint8)
        self.labels = np.arange(n) % 10


@pytest.fixture(scope="session")
def toy_view():
    """A 6-D view (no TensorFlow): 400 codes whose spread falls dimension by dimension."""
    from cvae.explorer import build_view

    rng = np.random.default_rng(3)
    codes = rng.standard_normal((400, 6)) * np.array([3.0, 2.0, 1.5, 1.0, 0.5, 0.1])
    return build_view(_FakeCore(codes), _FakeSplit(400))


@pytest.fixture(scope="session")
def judge():
    """The shipped judge (the classifier that reads decoded digits)."""
    from cvae import judge as judge_module

    return judge_module.load()


@pytest.fixture(scope="session")
def style_core():
    """The compiled core of the style-and-class model (its decoder reads the label)."""
    from cvae import catalog
    from cvae.serving.core import load_core

    return load_core(catalog.bundle_path("cvae-style-2d"))
