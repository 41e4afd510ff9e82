"""A (re)started server loads the default model before it answers (`warm_default_model`,
the app's lifespan), and starts anyway when that model cannot load."""

from __future__ import annotations

import asyncio
import logging

from cvae.live.routes import warm_default_model
from cvae.recipes import DEFAULT_RECIPE
from cvae.serving import registry


async def _enter() -> None:
    async with warm_default_model(None):
        pass


def test_the_default_model_is_loaded_before_the_server_answers():
    asyncio.run(_enter())
    assert registry.loaded(DEFAULT_RECIPE) is not None


def test_a_model_that_cannot_load_does_not_stop_the_server(monkeypatch, caplog):
    def broken(name: str) -> None:
        raise RuntimeError("weights missing")

    monkeypatch.setattr(registry, "service", broken)
    with caplog.at_level(logging.WARNING):
        asyncio.run(_enter())
    assert "weights missing" in caplog.text
