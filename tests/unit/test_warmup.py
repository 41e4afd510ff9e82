"""Warm before ready (`cvae.serving.warmup`): which models, and what readiness says."""

from __future__ import annotations

from typing import Any

from cvae.recipes import DEFAULT_RECIPE
from cvae.serving.warmup import Warmup, wanted_models


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


def test_readiness_waits_for_the_page_runs_and_a_failed_one_keeps_it_unready(monkeypatch):
    import threading

    import cvae.serving.warmup as warmup_module

    monkeypatch.setattr(warmup_module, "warm_service", lambda svc: 0)
    asked, release = [], threading.Event()

    def rehearse(query: str) -> None:
        asked.append(query)
        assert release.wait(30)
        if query == "model=broken-page":
            raise RuntimeError("the page showed KeyError: 'x'")

    warm = Warmup(offered=lambda: ["b", DEFAULT_RECIPE, "broken-page"],
                  service=lambda name: object(), extras=[], finish=lambda: None,
                  rehearse=rehearse)
    warm.start()
    while not asked:  # the models are warm, the first page run is under way
        threading.Event().wait(0.01)
    ready, body = warm.readiness()
    assert not ready and body["now"] == "page ?" and body["warm"] == ["b", DEFAULT_RECIPE,
                                                                    "broken-page"]
    release.set()
    assert warm.wait(30)
    # As a first visitor opens it (the default model), then at every other warm model.
    assert asked == ["", "model=b", "model=broken-page"]
    ready, body = warm.readiness()
    assert not ready and body["pages"] == 2
    assert "KeyError" in body["failed"]["page ?model=broken-page"]


def test_no_page_runs_at_the_default_query_when_the_default_model_is_not_warmed(monkeypatch):
    import cvae.serving.warmup as warmup_module

    monkeypatch.setattr(warmup_module, "warm_service", lambda svc: 0)
    monkeypatch.setenv("CVAE_WARM_MODELS", "b")
    asked: list[str] = []
    warm = Warmup(offered=lambda: [DEFAULT_RECIPE, "b"], service=lambda name: object(),
                  extras=[], finish=lambda: None, rehearse=asked.append)
    warm.run()
    # "?" would load the default model in the page run: not warmed means not loaded here
    assert asked == ["model=b"] and warm.readiness()[0]


def test_switched_off_it_is_ready_at_once(monkeypatch):
    monkeypatch.setenv("CVAE_WARM", "0")
    assert Warmup().readiness() == (True, {"ready": True, "warm": "off"})
