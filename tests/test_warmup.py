"""Warm before ready (`cvae.serving.warmup`): which models, what readiness says, and that a
warmed server draws no picture for a first visit and its common first actions."""

from __future__ import annotations

from typing import Any

from cvae.recipes import DEFAULT_RECIPE
from cvae.serving.warmup import Warmup, wanted_models

STYLE = "cvae-style-2d"  # a decoder that reads the class: analogies, a manifold per class


def test_the_setting_picks_models_in_the_servers_order_and_names_unknown_ones():
    offered = ["class-prior-2d", "mlp-20d", "tutorial-2d"]
    assert wanted_models(offered, "") == (offered, [])
    assert wanted_models(offered, " tutorial-2d, class-prior-2d ,") == (
        ["class-prior-2d", "tutorial-2d"], [])
    assert wanted_models(offered, "mlp-20d,nope") == (["mlp-20d"], ["nope"])


def fake_warmup(fail: set[str] = frozenset(), offered=("a", "b")) -> Warmup:
    """A warm-up of fake models (their pictures are tested below with the real services)."""
    def service(name: str) -> Any:
        if name in fail:
            raise OSError(f"{name} is broken")
        return object()

    return Warmup(offered=lambda: list(offered), service=service, extras=[],
                  finish=lambda: None)


def test_readiness_waits_for_every_model_and_says_what_failed(monkeypatch):
    import cvae.serving.warmup as warmup_module

    monkeypatch.setattr(warmup_module, "warm_service", lambda svc: 0)
    ok = fake_warmup()
    assert ok.readiness() == (False, {"ready": False, "warming": "not started"})
    ok.start()
    assert ok.wait(30)
    ready, body = ok.readiness()
    assert ready and body["warm"] == ["a", "b"] and "seconds" in body

    broken = fake_warmup(fail={"b"})
    broken.run()
    ready, body = broken.readiness()
    assert not ready and body["warm"] == ["a"] and list(body["failed"]) == ["b"]
    assert "b is broken" in body["failed"]["b"]

    monkeypatch.setenv("CVAE_WARM_MODELS", "a,typo")
    unknown = fake_warmup(offered=["a"])
    unknown.run()
    assert unknown.readiness() == (False, {"ready": False, "models": 1, "warm": ["a"],
                                           "unknown": ["typo"],
                                           "seconds": round(unknown.seconds, 1)})


def test_switched_off_it_is_ready_at_once(monkeypatch):
    monkeypatch.setenv("CVAE_WARM", "0")
    assert Warmup().readiness() == (True, {"ready": True, "warm": "off"})


class DecodeLog:
    """A model core that records the rows of every decode (else the real core)."""

    def __init__(self, core: Any) -> None:
        self._core, self.rows = core, []

    def decode(self, z, labels=None):
        self.rows.append(len(z))
        return self._core.decode(z, labels)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)


def picture_misses(svc: Any) -> int:
    caches = (svc.class_grid_png, svc._manifold, svc._samples, svc.morph_png, svc.analogy_png)
    return sum(cache.cache_info().misses for cache in caches)


def test_after_the_warm_up_a_first_visit_and_its_first_actions_draw_no_picture(monkeypatch):
    from cvae.live.routes import REGISTRY_POINTS
    from cvae.serving import registry
    from tests.harness.apptest import run_app

    warm = Warmup(offered=lambda: [DEFAULT_RECIPE, STYLE], finish=lambda: None)
    warm.run()
    assert warm.readiness()[0], warm.readiness()
    services = {name: registry.service(name) for name in (DEFAULT_RECIPE, STYLE)}
    logs = {}
    for name, svc in services.items():
        assert REGISTRY_POINTS.cached(name) is not None  # the map's points file too
        logs[name] = DecodeLog(svc.core)
        monkeypatch.setattr(svc, "core", logs[name])
    before = {name: picture_misses(svc) for name, svc in services.items()}

    at = run_app()  # the default model and class
    at.radio(key="digit").set_value(3).run()  # another class
    at.slider(key="n").set_value(16).run()  # a grid-size step
    at.selectbox(key="model").set_value(STYLE).run()  # another model
    at.radio(key="digit").set_value(5).run()
    assert not at.exception, [e.value for e in at.exception]

    assert {name: picture_misses(svc) for name, svc in services.items()} == before
    for name, log in logs.items():  # only the decoded digit at the point, one row per run
        assert log.rows and set(log.rows) == {1}, (name, log.rows)
