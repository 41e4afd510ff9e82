"""Interaction latency, cold start and memory of the running app.

* AppTest: script rerun time after a slider change and after a class change.
* Browser (headless Debian Chromium via Playwright, the e2e harness): process start ->
  page fully rendered; server RSS after load and after visiting every model; slider key
  press -> new decoded digit painted, timed inside the page (keydown timestamp to the
  ``load`` of the new image plus one animation frame).
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from benchmarks.common import ROOT, percentiles, rss_mb

PAINT_PROBE = """() => {
  window.__cvae = {key: 0, paints: []};
  document.addEventListener('keydown', () => { window.__cvae.key = performance.now(); }, true);
  document.addEventListener('load', (event) => {
    const img = event.target;
    if (img.tagName !== 'IMG') return;
    const box = img.closest('[data-testid="stImage"]') || img.parentElement.parentElement;
    if (!box || !box.textContent.includes('p(x | z) at')) return;
    requestAnimationFrame(() => window.__cvae.paints.push(performance.now()));
  }, true);
}"""


def apptest_reruns(quick: bool) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
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
        at.radio(key="digit").set_value(i % 10).run()
        class_ms.append((time.perf_counter() - start) * 1000.0)
    assert not at.exception, [e.value for e in at.exception]
    return {"slider_rerun_ms": percentiles(slider_ms), "class_rerun_ms": percentiles(class_ms)}


def import_seconds() -> float:
    """Seconds to import the app's heavy modules in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import streamlit, tensorflow, keras, "
            "tensorflow_probability, plotly, cvae.core; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def browser(quick: bool) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import (
        ARTIFACTS,
        CHROMIUM,
        free_port,
        open_app,
        start_server,
        stop_server,
        wait_healthy,
        wait_idle,
    )

    if not CHROMIUM.is_file():
        return {"skipped": f"no Chromium at {CHROMIUM}"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"imports_s": import_seconds()}
    with sync_playwright() as p:
        chrome = p.chromium.launch(executable_path=str(CHROMIUM),
                                   args=["--headless", "--no-sandbox"])
        page = chrome.new_page(viewport={"width": 1400, "height": 1000})
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        start = time.perf_counter()
        proc = start_server(port, log=ARTIFACTS / "benchmark-server.log")
        try:
            wait_healthy(base, proc)
            result["server_healthy_s"] = time.perf_counter() - start
            open_app(page, base)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.js-plotly-plot')].some("
                "g => (g._fullData || []).length >= 10)", timeout=120_000)
            result["cold_start_s"] = time.perf_counter() - start
            result["cold_start_after_imports_s"] = result["cold_start_s"] - result["imports_s"]
            result["after_load"] = rss_mb(proc.pid)

            page.evaluate(PAINT_PROBE)
            thumb = page.locator("[data-testid='stSidebar'] [role='slider']").first
            latencies = []
            for i in range(20 if quick else 40):
                thumb.focus()
                before = page.evaluate("() => window.__cvae.paints.length")
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                page.wait_for_function(f"() => window.__cvae.paints.length > {before}",
                                       timeout=30_000)
                latencies.append(page.evaluate(
                    "() => window.__cvae.paints[window.__cvae.paints.length - 1]"
                    " - window.__cvae.key"))
                wait_idle(page)
            result["slider_to_paint_ms"] = percentiles(latencies)

            for name in _model_names():
                open_app(page, base, f"model={name}")
            result["after_all_models"] = rss_mb(proc.pid)
        finally:
            stop_server(proc)
            chrome.close()
    return result


def _model_names() -> list[str]:
    from cvae.catalog import bundle_names

    return bundle_names()
