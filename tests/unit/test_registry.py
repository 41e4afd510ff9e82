"""The process-wide model registry: unknown names refused."""

from __future__ import annotations

import pytest

from cvae.serving import registry


def test_unknown_names_are_refused():
    with pytest.raises(KeyError):
        registry.core("../weights/tutorial-2d")
    assert registry.loaded("../weights/tutorial-2d") is None
