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
    from harness.apptest import assert_healthy, run_app

    at = run_app(timeout=300)
    assert_healthy(at)
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
    assert_healthy(at)
    return {"slider_rerun_ms": percentiles(slider_ms), "class_rerun_ms": percentiles(class_ms)}


def import_seconds() -> float:
    """Seconds to import the app's heavy modules in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import streamlit, tensorflow, keras, "
            "tensorflow_probability, plotly, cvae.serving.core; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def browser(quick: bool) -> dict[str, Any]:
    from cvae.catalog import bundle_names
    from harness.browser import VIEWPORT, chromium_missing, launch_chromium, open_app
    from harness.server import running_app

    if chromium_missing():
        return {"skipped": chromium_missing()}
    result: dict[str, Any] = {"imports_s": import_seconds()}
    with launch_chromium() as chrome:
        page = chrome.new_page(viewport=VIEWPORT)
        start = time.perf_counter()
        with running_app("benchmark-server.log") as (base, proc):
            result["server_healthy_s"] = time.perf_counter() - start
            open_app(page, base)
            page.wait_for_selector(".cvae-map[data-points]", timeout=120_000)
            result["cold_start_s"] = time.perf_counter() - start
            result["cold_start_after_imports_s"] = result["cold_start_s"] - result["imports_s"]
            result["after_load"] = rss_mb(proc.pid)
            for name in bundle_names():
                open_app(page, base, f"model={name}")
            result["after_all_models"] = rss_mb(proc.pid)
    return result
