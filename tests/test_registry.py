"""The process-wide model registry: one core per bundle folder, unknown names refused."""

from __future__ import annotations

import pytest

from cvae.serving import registry


def test_a_model_is_loaded_once_and_shared():
    assert registry.core("tutorial-2d") is registry.core("tutorial-2d")
    assert registry.view("tutorial-2d") is registry.view("tutorial-2d")
    assert len(registry.version("tutorial-2d")) == 8


def test_unknown_names_are_refused():
    with pytest.raises(KeyError):
        registry.core("../weights/tutorial-2d")
