"""A (re)started server loads the default model before it answers (`warm_default_model`,
the app's lifespan), and starts anyway when that model cannot load."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from cvae.live.routes import warm_default_model
from cvae.recipes import DEFAULT_RECIPE
from cvae.serving import registry


def _enter() -> None:
    """Run the lifespan's startup and shutdown (in a thread of its own: a browser test in
    this process may have left an event loop running in this one)."""
    async def enter() -> None:
        async with warm_default_model(None):
            pass

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, enter()).result()


def test_the_default_model_is_loaded_before_the_server_answers():
    _enter()
    assert registry.loaded(DEFAULT_RECIPE) is not None


def test_a_model_that_cannot_load_does_not_stop_the_server(monkeypatch, caplog):
    def broken(name: str) -> None:
        raise RuntimeError("weights missing")

    monkeypatch.setattr(registry, "service", broken)
    with caplog.at_level(logging.WARNING):
        _enter()
    assert "weights missing" in caplog.text
