"""Interaction latency, cold start and memory of the running app.

* AppTest: script rerun time after a slider change and after a class change.
* Browser (headless Debian Chromium via Playwright, the e2e harness): process start ->
  latent map drawn; server RSS after load and after visiting every model. Key press ->
  painted digit and drags on the latent map are in `benchmarks.live`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from benchmarks.common import ROOT, percentiles, rss_mb


def apptest_reruns(quick: bool) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "page.py"), default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    moves = 10 if quick else 40
    slider_ms = []
    for i in range(moves):
        slider = at.slider(key="z1")
        lo, hi = slider.min, slider.max
        target = round(min(hi, max(lo, slider.value + (0.25 if i % 2 == 0 else -0.25))), 2)
        start = time.perf_counter()
        slider.set_value(target).run()
        slider_ms.append((time.perf_counter() - start) * 1000.0)
    class_ms = []
    for i in range(20 if quick else 40):  # the first pass over the ten classes misses caches
        start = time.perf_counter()
        at.radio(key="digit").set_value(i % 10).run()  # reruns the class's fragments only
        class_ms.append((time.perf_counter() - start) * 1000.0)
        at.run()  # unmeasured: AppTest's tree keeps only the rerun fragments; redraw the radio
    assert not at.exception, [e.value for e in at.exception]
    return {"slider_rerun_ms": percentiles(slider_ms), "class_rerun_ms": percentiles(class_ms)}


def import_seconds() -> float:
    """Seconds to import the app's heavy modules in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import streamlit, tensorflow, keras, "
            "tensorflow_probability, plotly, cvae.serving.core; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def browser(quick: bool) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from harness.browser import CHROMIUM, LAUNCH, open_app
    from harness.server import running_app

    if not CHROMIUM.is_file():
        return {"skipped": f"no Chromium at {CHROMIUM}"}
    result: dict[str, Any] = {"imports_s": import_seconds()}
    with sync_playwright() as p:
        chrome = p.chromium.launch(**LAUNCH)
        page = chrome.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        try:
            with running_app("benchmark-server.log") as (base, proc):
                result["server_healthy_s"] = time.perf_counter() - start
                open_app(page, base)
                page.wait_for_selector(".cvae-map[data-points]", timeout=120_000)
                result["cold_start_s"] = time.perf_counter() - start
                result["cold_start_after_imports_s"] = (result["cold_start_s"]
                                                        - result["imports_s"])
                result["after_load"] = rss_mb(proc.pid)

                for name in _model_names():
                    open_app(page, base, f"model={name}")
                result["after_all_models"] = rss_mb(proc.pid)
        finally:
            chrome.close()
    return result


def _model_names() -> list[str]:
    from cvae.catalog import bundle_names

    return bundle_names()
