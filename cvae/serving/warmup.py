"""Warm before ready: load the offered models and draw what a first visit asks, at start-up.

`Warmup.start` (called from the app's ``st.App`` lifespan, so only a real server runs it,
never AppTest) starts one background thread that, for each model of ``$CVAE_WARM_MODELS``
(comma-separated bundle names; unset or empty: every bundle the server offers, the default
model first), loads it into the shared registry and asks its `ModelService` exactly what the
page asks with its defaults, for every class: the class grid (the default size and the
sizes one step either side), the manifold, the first samples, the class-to-next-class morph,
the analogy strip at the class centre (label-reading models), the judge's reading of the
decoded digit, the model card's figures, and the map's points file. Then the judge (your
own digit) is loaded and the loaded objects are frozen out of full collections
(`cvae.streamlit_workarounds.freeze_loaded_objects`). Last, when started by the server's
lifespan, the page itself runs once per warm model in a session of its own
(`cvae.serving.rehearsal`): the first visit's once-per-process costs (the page's first
compile, Streamlit's lazy imports and first-run checks, the page's own caches) are paid
here, not by the first visitor.
``CVAE_WARM=0`` switches it off (ready at once, as before; to measure the difference).

`Warmup.readiness` feeds ``GET <base>/cvae/ready``: ready when every model is warm and its
page has run; a model that fails to load, a page run that fails, or a name in
``$CVAE_WARM_MODELS`` the server does not offer keeps the server unready and says why.
Start -> ready time is logged once at INFO on this module's logger (Streamlit's log format).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from streamlit.logger import get_logger

from cvae import settings

log = get_logger(__name__)  # Streamlit's handler and level: shown in the server's log



def wanted_models(offered: list[str], setting: str | None = None) -> tuple[list[str], list[str]]:
    """The models to warm (in the order offered) and the names of ``setting`` (default:
    ``$CVAE_WARM_MODELS``) that the server does not offer."""
    names = (settings.names(settings.WARM_MODELS) if setting is None
             else [n.strip() for n in setting.split(",") if n.strip()])
    if not names:
        return list(offered), []
    return [n for n in offered if n in names], [n for n in names if n not in offered]


def page_defaults() -> dict[str, Any]:
    """The page's defaults the warm-up draws (read from the modules the page reads)."""
    from cvae.explorer import DIGITS
    from cvae.latent import GRID_N, GRID_SPAN

    lo, hi, n = GRID_N
    return {"digits": DIGITS, "grid_sizes": tuple(s for s in (n - 1, n, n + 1) if lo <= s <= hi),
            "span": GRID_SPAN[2], "seed": 0}


def warm_service(svc: Any, with_map: bool | None = None) -> int:
    """Ask ``svc`` (a `cvae.model_service.ModelService`) what the page asks on a first visit
    to each class with the page's defaults (`page_defaults`): the same calls, so the same
    cache entries. Returns how many pictures it asked for."""
    from cvae import latent_map

    d = page_defaults()
    with_map = latent_map.available() if with_map is None else with_map
    asked = 0
    for digit in d["digits"]:
        xy = svc.view.start_point(digit)
        for n in d["grid_sizes"]:
            svc.class_grid_png(digit, n, d["span"])
            asked += 1
            if svc.view.latent == 2:
                svc.manifold_png(n, d["span"], digit)
                asked += 1
        svc.samples_png(digit, d["seed"])
        svc.morph_png("classes", digit, (digit + 1) % 10)
        asked += 2
        if svc.label_to_decoder:
            svc.analogy_png(digit, xy)
            asked += 1
        svc.judge_reading(svc.digit_at(digit, xy))  # the map's reading (traces the judge)
        svc.ellipses(digit, None, None)
        if not with_map:
            svc.scatter_figure(digit, None, None)
            svc.digit_png(digit, xy)
    _ = svc.elbo_svg
    svc.training_samples_png(svc.last_epoch)
    _ = svc.info, svc.param_count, svc.version
    return asked


class Warmup:
    """One warm-up of this process's models, in a background thread, and its state."""

    def __init__(self, offered: Callable[[], list[str]] | None = None,
                 service: Callable[[str], Any] | None = None,
                 extras: Iterable[Callable[[str], Any]] | None = None,
                 finish: Callable[[], Any] | None = None,
                 rehearse: Callable[[str], Any] | None = None) -> None:
        """``offered`` lists the bundles (default: the catalog), ``service`` loads one
        (default: the registry's), ``extras`` run per model after its pictures (default:
        the points file), ``finish`` once at the end (default: the judge and the freeze),
        ``rehearse`` runs the page once at a query string (default: in the server, once
        `lifespan` started it, `cvae.serving.rehearsal`; elsewhere no page runs)."""
        self._offered = offered
        self._service = service
        self._extras = extras
        self._finish = finish
        self._rehearse = rehearse
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.enabled = settings.switch(settings.WARM, True)
        self.wanted: list[str] = []
        self.unknown: list[str] = []
        self.done: list[str] = []
        self.pages: list[str] = []  # the query strings the page was run at
        self.failed: dict[str, str] = {}
        self.current: str | None = None
        self.started: float | None = None
        self.seconds: float | None = None
        self.finished = False

    # --- running ---------------------------------------------------------------------------

    def start(self) -> bool:
        """Start the warm-up thread (once per process); False if it was started before."""
        with self._lock:
            if self._thread is not None:
                return False
            self.started = time.monotonic()
            self._thread = threading.Thread(target=self.run, name="cvae-warmup", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up thread is done (tests, scripts); True when it is."""
        if self._thread is None:
            return self.finished
        self._thread.join(timeout)
        return self.finished

    def run(self) -> None:
        """The warm-up itself (the thread's body; callable directly)."""
        if self.started is None:
            self.started = time.monotonic()
        try:
            if self.enabled:
                self._warm_all()
        except Exception as exc:  # never kill the server; readiness says what went wrong
            log.exception("warm-up failed")
            self.failed["<warm-up>"] = f"{type(exc).__name__}: {exc}"
        finally:
            self.current = None
            self.seconds = time.monotonic() - self.started
            self.finished = True
        ready, body = self.readiness()
        if not self.enabled:
            log.info("warm-up switched off (%s=0): ready at once", settings.WARM)
        elif ready:
            log.info("ready: %d model(s) warm in %.1f s after start-up (%s)",
                     len(self.done), self.seconds, ", ".join(self.done))
        else:
            log.error("not ready after the warm-up (%.1f s): %s", self.seconds, body)

    def _warm_all(self) -> None:
        from cvae import catalog

        offered = self._offered() if self._offered else catalog.bundle_names()
        self.wanted, self.unknown = wanted_models(offered)
        if self.unknown:
            log.error("%s names model(s) this server does not offer: %s (it offers: %s)",
                      settings.WARM_MODELS, ", ".join(self.unknown), ", ".join(offered))
        service = self._service or _registry_service
        extras = list(self._extras) if self._extras is not None else [_points_file]
        for name in self.wanted:
            self.current = name
            t = time.monotonic()
            try:
                svc = service(name)
                asked = warm_service(svc)
                for extra in extras:
                    extra(name)
            except Exception as exc:  # e.g. a broken bundle: the page says so too
                log.warning("warm-up of %s failed: %s", name, exc)
                self.failed[name] = f"{type(exc).__name__}: {exc}"
                continue
            self.done.append(name)
            log.info("warm: %s (%d pictures asked for), %.1f s", name, asked,
                     time.monotonic() - t)
        (self._finish or _finish_defaults)()
        if self._rehearse is not None:
            self._rehearse_pages(self._rehearse, offered)

    def _rehearse_pages(self, rehearse: Callable[[str], Any], offered: list[str]) -> None:
        """Run the page as a first visitor opens it (no query: the page's default model, if
        it is warm), then at every other warm model (``?model=<name>``, as a link opens it)."""
        from cvae.recipes import DEFAULT_RECIPE

        default = DEFAULT_RECIPE if DEFAULT_RECIPE in offered else (offered or [None])[0]
        queries = ([""] if default in self.done else []) + [
            f"model={name}" for name in self.done if name != default]
        for query in queries:
            self.current = f"page ?{query}"
            t = time.monotonic()
            try:
                rehearse(query)
            except Exception as exc:  # the page would fail its first visitor too
                log.warning("page run at ?%s failed: %s", query, exc)
                self.failed[f"page ?{query}"] = f"{type(exc).__name__}: {exc}"
                continue
            self.pages.append(query)
            log.info("page run at ?%s: %.2f s", query, time.monotonic() - t)

    # --- reporting -------------------------------------------------------------------------

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """(ready, a small JSON-able body) for the readiness route."""
        if not self.enabled:
            return True, {"ready": True, "warm": "off"}
        if self._thread is None and not self.finished:
            return False, {"ready": False, "warming": "not started"}
        ready = self.finished and not self.failed and not self.unknown
        body: dict[str, Any] = {"ready": ready, "models": len(self.wanted),
                                "warm": list(self.done)}
        if self.pages:
            body["pages"] = len(self.pages)
        if not self.finished:
            body["warming"] = [n for n in self.wanted
                               if n not in self.done and n not in self.failed]
            body["now"] = self.current
        if self.failed:
            body["failed"] = dict(self.failed)
        if self.unknown:
            body["unknown"] = list(self.unknown)
        if self.seconds is not None:
            body["seconds"] = round(self.seconds, 1)
        return ready, body

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """An ``st.App`` lifespan: start warming when the server starts (Streamlit's runtime
        is running by then), the page runs included, on this event loop."""
        if self._rehearse is None:
            from cvae.serving.rehearsal import rehearse_from_thread

            loop = asyncio.get_running_loop()
            self._rehearse = lambda query: rehearse_from_thread(loop, query)
        self.start()
        yield


def _registry_service(name: str) -> Any:
    from cvae.serving import registry

    return registry.service(name)


def _points_file(name: str) -> None:
    from cvae.live.points import REGISTRY_POINTS

    REGISTRY_POINTS.get(name)


def _finish_defaults() -> None:
    from cvae import streamlit_workarounds
    from cvae.serving import registry

    registry.judge()
    streamlit_workarounds.freeze_loaded_objects()


WARMUP = Warmup()  # this process's (the app's lifespan starts it)
