"""Warm before ready (`cvae.serving.warmup`): which models, what readiness says, and that a
warmed server draws no picture for a first visit and its common first actions."""

from __future__ import annotations

from typing import Any

import pytest

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
    from cvae.live.points import REGISTRY_POINTS
    from cvae.live.routes import _warmup_readiness
    from cvae.serving import registry
    from harness.apptest import run_app

    warm = Warmup(offered=lambda: [DEFAULT_RECIPE, STYLE], finish=lambda: None)
    warm.run()
    assert warm.readiness()[0], warm.readiness()
    services = {name: registry.service(name) for name in (DEFAULT_RECIPE, STYLE)}
    traces = _warmup_readiness()[1]["traces"]  # the served route's body adds trace counts
    assert {name: traces.get(name) for name in services} == {
        name: svc.core.trace_count() for name, svc in services.items()}
    assert all(traces[name] > 0 for name in services), traces
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


@pytest.mark.slow
def test_a_real_server_runs_its_page_before_it_says_ready():
    """In a served app the warm-up's last step runs the page in the server's own runtime
    (a session with no browser), once per warm model, and readiness waits for it."""
    import json
    import urllib.request

    from harness.paths import ARTIFACTS
    from harness.server import running_app

    log = "streamlit-server-warmup-pages.log"
    env = {"CVAE_WARM_MODELS": f"{DEFAULT_RECIPE},{STYLE}"}
    with running_app(log, env=env, ready=True) as (base, _):
        body = json.loads(urllib.request.urlopen(f"{base}/cvae/ready").read())
    assert body["ready"] and body["pages"] == 2, body  # "?" and "?model=cvae-style-2d"
    assert {DEFAULT_RECIPE, STYLE} <= set(body["traces"]), body  # each model's trace count
    text = (ARTIFACTS / log).read_text()
    assert "page run at ?:" in text and f"page run at ?model={STYLE}:" in text, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
