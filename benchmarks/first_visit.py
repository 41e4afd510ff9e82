"""The first visitor of a just-ready server, in a real browser.

``python -m benchmarks.first_visit [--config FLAGS ...]`` starts ``streamlit run app.py`` per
configuration (default: as shipped, and with the warm-up off, ``CVAE_WARM=0``, as servers
were before), waits for ``/cvae/ready`` (with the warm-up off it answers at once, like
Streamlit's health), then opens the page in headless Chromium and times navigation ->
settled: the script idle, the latent map's points drawn, every image decoded and every chart
drawn. A second visit to the same server, again from a fresh browser context (nothing
cached in the browser), is the warm reference.
Writes benchmarks/results/first_visit.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.capacity import _background_load, _with_server
from tests.harness.paths import ROOT

RESULTS = ROOT / "benchmarks" / "results" / "first_visit.json"
CONFIGS = ("", "CVAE_WARM=0")
TARGET_S = 1.5


def settled_seconds(browser: Any, base: str) -> float:
    """Navigation -> settled page (script idle, map points drawn, images and charts done)."""
    from tests.harness.browser import IDLE, VIEWPORT, wait_rendered

    context = browser.new_context(viewport=VIEWPORT)  # a fresh browser: nothing cached
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"{base}/")
        page.wait_for_selector(IDLE, timeout=180_000)
        page.wait_for_selector(".cvae-map[data-points]", timeout=180_000)
        wait_rendered(page, timeout_ms=180_000)
        return round(time.perf_counter() - start, 2)
    finally:
        context.close()


def measure(config: str) -> dict[str, Any]:
    """A fresh server started with ``config``, waited ready; two visits from fresh contexts."""
    from tests.harness.browser import launch_chromium

    with launch_chromium() as browser:
        row = _with_server(config, lambda base, _pid: {
            "first_visit_settled_s": settled_seconds(browser, base),
            "second_visit_settled_s": settled_seconds(browser, base)}, ready=True)
    row["met"] = row["first_visit_settled_s"] <= TARGET_S
    print(f"  {config or 'default'}: {row}", flush=True)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", default=None, metavar="FLAGS",
                        help="NAME=value settings and streamlit flags; repeat to compare")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "target_s": TARGET_S, "background_load": _background_load(),
                              "configs": {}}
    for config in args.config if args.config is not None else CONFIGS:
        report["configs"][config or "default"] = measure(config)
    report["background_load_end"] = _background_load()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
