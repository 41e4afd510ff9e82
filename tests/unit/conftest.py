"""Keeps the unit tier honest: a run of tests/unit alone must not import TensorFlow.

A unit test that imports TensorFlow (or Keras, or TFP) fails, naming the module where it
belongs (tests/model); so does collecting a unit module that imports it at the top.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

HEAVY = ("tensorflow", "keras", "tensorflow_probability")
UNIT = os.path.dirname(os.path.abspath(__file__))


def _heavy_loaded() -> list[str]:
    return [name for name in HEAVY if name in sys.modules]


def pytest_collection_finish(session: pytest.Session) -> None:
    """When only unit tests were collected, nothing heavy may have been imported yet."""
    only_unit = session.items and all(str(item.path).startswith(UNIT + os.sep)
                                      for item in session.items)
    if only_unit and _heavy_loaded():
        raise pytest.UsageError(f"collecting tests/unit imported {_heavy_loaded()}: "
                                "a module that needs it belongs in tests/model")


@pytest.fixture(autouse=True)
def _no_tensorflow(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a unit test that imports TensorFlow, Keras or TFP while it runs."""
    before = _heavy_loaded()
    yield
    if not before and _heavy_loaded():
        pytest.fail(f"{request.node.nodeid} imported {_heavy_loaded()}: it belongs in "
                    "tests/model", pytrace=False)
