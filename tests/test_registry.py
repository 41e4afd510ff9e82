"""The process-wide model registry: one core per bundle folder, unknown names refused."""

from __future__ import annotations

import pytest

from cvae.serving import registry


def test_a_model_is_loaded_once_and_shared():
    assert registry.core("tutorial-2d") is registry.core("tutorial-2d")
    assert registry.view("tutorial-2d") is registry.view("tutorial-2d")
    service = registry.service("tutorial-2d")
    assert service is registry.service("tutorial-2d")
    assert service.core is registry.core("tutorial-2d")
    assert service.view is registry.view("tutorial-2d")
    assert len(service.version) == 8


def test_unknown_names_are_refused():
    with pytest.raises(KeyError):
        registry.core("../weights/tutorial-2d")
