"""Soak test: many reruns in one server; memory growth and TensorFlow retracing.

``python -m benchmarks.soak [--reruns 1000]`` starts ``streamlit run app.py``, warms it up,
then drives one headless-Chromium session through that many reruns: slider key presses
(latent-fragment reruns) with a class change (a full rerun) every 25th. It records the
server's RSS after warm-up and at the end, and the number of TensorFlow traces the model
card reports at both ends. Writes benchmarks/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any

from benchmarks.common import ROOT, rss_mb

RESULTS = ROOT / "benchmarks" / "results" / "soak.json"
TRACES = re.compile(r"traced (\d+) times")


def _traces(page: Any) -> int:
    text = page.get_by_text("decode and encode are compiled graphs").inner_text()
    match = TRACES.search(text)
    assert match, text
    return int(match.group(1))


def run(reruns: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from harness.browser import LAUNCH, open_app, wait_idle
    from harness.server import running_app

    samples: list[dict[str, float]] = []
    with running_app("soak-server.log") as (base, proc), sync_playwright() as p:
        browser = p.chromium.launch(**LAUNCH)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_app(page, base)
        sidebar = page.locator("[data-testid='stSidebar']")
        thumb = sidebar.locator(".st-key-z1").get_by_role("slider")
        classes = sidebar.get_by_role("radiogroup", name="Digit class")

        def rerun(i: int) -> None:
            if i % 25 == 24:
                classes.get_by_text(str(i % 10), exact=True).click()
            else:
                thumb.focus()
                thumb.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
            wait_idle(page)

        for i in range(50):  # warm-up: every class once, caches filled
            rerun(i)
        time.sleep(1.0)
        start_mem, start_traces = rss_mb(proc.pid), _traces(page)
        started = time.perf_counter()
        for i in range(reruns):
            rerun(i)
            if i % 100 == 99:
                samples.append({"reruns": i + 1, **rss_mb(proc.pid)})
        elapsed = time.perf_counter() - started
        classes.get_by_text("8", exact=True).click()  # a full rerun redraws the card
        wait_idle(page)
        time.sleep(1.0)
        end_mem, end_traces = rss_mb(proc.pid), _traces(page)
        exceptions = page.locator("[data-testid='stException']").count()
        browser.close()
    return {
        "reruns": reruns, "seconds": elapsed, "exceptions": exceptions,
        "rss_after_warm_up_mb": start_mem["rss_mb"], "rss_at_end_mb": end_mem["rss_mb"],
        "rss_growth_mb": end_mem["rss_mb"] - start_mem["rss_mb"],
        "peak_rss_mb": end_mem["peak_rss_mb"],
        "traces_after_warm_up": start_traces, "traces_at_end": end_traces,
        "rss_every_100_reruns": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--reruns", type=int, default=1000)
    args = parser.parse_args(argv)
    result = run(args.reruns)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['reruns']} reruns in {result['seconds']:.0f} s: RSS "
          f"{result['rss_after_warm_up_mb']:.0f} -> {result['rss_at_end_mb']:.0f} MB "
          f"(growth {result['rss_growth_mb']:+.1f} MB, target <= 50 MB), peak "
          f"{result['peak_rss_mb']:.0f} MB; TensorFlow traces {result['traces_after_warm_up']}"
          f" -> {result['traces_at_end']}; exceptions {result['exceptions']}; wrote "
          f"{RESULTS.relative_to(ROOT)}")
    ok = (result["exceptions"] == 0 and result["traces_at_end"] == result["traces_after_warm_up"]
          and result["rss_growth_mb"] <= 50)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
