"""Warm before ready: a warmed process draws no picture for a first visit and its common
first actions."""

from __future__ import annotations

from typing import Any

from cvae.recipes import DEFAULT_RECIPE
from cvae.serving.warmup import Warmup

STYLE = "cvae-style-2d"  # a decoder that reads the class: analogies, a manifold per class


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
