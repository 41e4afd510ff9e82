"""The process-wide model registry: one core per bundle folder, shared by the live channel."""

from __future__ import annotations

import numpy as np
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


def test_the_live_channel_gets_a_loaded_models_decode_without_a_thread():
    from cvae.live.protocol import DecodeRequest
    from cvae.live.routes import registry_decode, registry_submit

    if not registry.batching():
        pytest.skip("CVAE_BATCHING=0: cores do not batch, the channel uses a thread")
    request = DecodeRequest(seq=1, model="tutorial-2d", digit=4, x=0.3, y=-1.2)
    registry.service("tutorial-2d")
    assert registry.loaded("tutorial-2d") == (registry.core("tutorial-2d"),
                                              registry.view("tutorial-2d"))
    future = registry_submit(request)
    assert future is not None  # the batching core's future: awaited on the event loop
    np.testing.assert_allclose(future.result(timeout=30)[0], registry_decode(request),
                               atol=1e-6)
