"""CVAE Explorer's model library: recipes, VAE models, training, evaluation, bundles.

    >>> import cvae
    >>> model = cvae.load("weights/class-prior-2d")
    >>> model.config["recipe"]["name"], model.metrics["test_elbo"]

Heavy imports (TensorFlow) happen on first use of `load`, not on ``import cvae``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cvae.bundle import BundleError
from cvae.data import DataError
from cvae.recipes import DEFAULT_RECIPE, RECIPES, Recipe, get_recipe

if TYPE_CHECKING:
    from cvae.model import VAE

__all__ = [
    "DEFAULT_RECIPE",
    "RECIPES",
    "BundleError",
    "DataError",
    "Recipe",
    "get_recipe",
    "load",
]


def load(path: Any) -> VAE:
    """Load a bundle folder (e.g. ``weights/class-prior-2d``); see `cvae.bundle.load`."""
    from cvae.bundle import load as _load

    return _load(path)
