"""Interaction latency, cold start and memory of the running app.

* AppTest: script rerun time after a slider change and after a class change.
* Browser (headless Debian Chromium via Playwright, the e2e harness): process start ->
  page fully rendered; server RSS after load and after visiting every model; slider key
  press -> new decoded digit painted, timed inside the page (keydown timestamp to the
  ``load`` of the new image plus one animation frame); a 5 s circular drag on the latent
  pad (one pointer move per animation frame, as tests/e2e/test_pad.py drives it): decoded
  digits previewed from the atlas, server frames and positions sent, per second.
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

# The latent pad's counters (pad.js): previews from atlases, server frames, positions sent,
# commits, and thumbnail paintings in all / outside the atlas.
PAD_COUNTERS = """() => { const s = window.cvaeLatentPad;
  return {previews: s.previews, frames: s.frames, sent: s.sent, commits: s.commits,
          paints: s.paints, approx: s.approxPaints}; }"""


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

    from tests.e2e.conftest import CHROMIUM, LAUNCH, open_app, running_app, wait_idle

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
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.js-plotly-plot')].some("
                    "g => (g._fullData || []).length >= 10)", timeout=120_000)
                result["cold_start_s"] = time.perf_counter() - start
                result["cold_start_after_imports_s"] = (result["cold_start_s"]
                                                        - result["imports_s"])
                result["after_load"] = rss_mb(proc.pid)

                page.evaluate(PAINT_PROBE)
                thumb = page.locator("[data-testid='stSidebar']").get_by_role("slider").first
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
                result["pad_drag"] = pad_drag(page, seconds=5.0)
                wait_idle(page)

                for name in _model_names():
                    open_app(page, base, f"model={name}")
                result["after_all_models"] = rss_mb(proc.pid)
        finally:
            chrome.close()
    return result


def pad_drag(page: Any, seconds: float = 5.0) -> dict[str, float]:
    """Drag the latent pad in a circle for ``seconds`` with the real mouse pressed and
    count, per second, the digits the pad previewed from its atlases, the server frames
    and the positions sent; then releases it at the centre."""
    from tests.e2e.test_pad import CIRCLE_DRAG, pad_plot

    x, y, w, h = pad_plot(page)
    cx, cy = x + w / 2, y + h / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    before = page.evaluate(PAD_COUNTERS)
    start = time.perf_counter()
    moves = page.evaluate(CIRCLE_DRAG, [cx, cy, 0.3 * w, 0.3 * h, seconds])
    elapsed = time.perf_counter() - start
    after = page.evaluate(PAD_COUNTERS)
    page.mouse.move(cx, cy)
    page.mouse.up()
    page.wait_for_function(f"() => window.cvaeLatentPad.commits > {before['commits']}")
    rates = {f"{k}_per_s": (after[k] - before[k]) / elapsed
             for k in ("previews", "frames", "sent")}
    paints = after["paints"] - before["paints"]
    approx = (after["approx"] - before["approx"]) / paints if paints else None
    return {**rates, "approximate_share": approx, "pointer_moves_per_s": moves / elapsed,
            "seconds": elapsed}


def _model_names() -> list[str]:
    from cvae.catalog import bundle_names

    return bundle_names()
