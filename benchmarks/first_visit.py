"""The first visitor of a just-ready server, in a real browser, beside the bare Streamlit page.

``python -m benchmarks.first_visit [--config FLAGS ...] [--visits N]`` starts ``streamlit run
app.py`` per configuration (default: as shipped, and the warm-up off, ``CVAE_WARM=0``), waits
for ``/cvae/ready``, then times navigation -> settled (script idle, the map's points drawn,
every image and chart drawn); ``--visits`` - 1 more visits to the now warm server are the warm
reference. Every visit is from a fresh browser context (nothing cached) in an already running
Chromium (its own start not counted), split into navigation -> frontend loaded
(DOMContentLoaded) -> socket open -> script idle -> settled (`common.browser_visit`). The bare
Streamlit page (`common.bare_server`) in the same browser is the floor of any Streamlit page.
Writes benchmarks/results/first_visit.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.capacity import FRESH_CONFIGS, _with_server
from benchmarks.common import RESULTS, background_load, bare_server, browser_visit, write_results

TARGET_S = 1.5
PARTS = ("frontend_loaded_s", "socket_open_s", "script_idle_s", "settled_s")


def visits(browser: Any, url: str, count: int, with_map: bool = True) -> dict[str, Any]:
    """``count`` visits to ``url``: the first, and the later ones (the warm reference)."""
    runs = [{k: browser_visit(browser, url, with_map=with_map)[k] for k in PARTS}
            for _ in range(count)]
    row: dict[str, Any] = {"first_visit_settled_s": runs[0]["settled_s"], "visits": runs}
    if count > 1:
        row["later_visits_median_settled_s"] = round(
            statistics.median(r["settled_s"] for r in runs[1:]), 2)
    parts = " | ".join(" / ".join(str(r[k]) for k in PARTS) for r in runs)
    print(f"  first {row['first_visit_settled_s']} s settled; per visit, frontend loaded / "
          f"socket open / script idle / settled (s): {parts}", flush=True)
    return row


def main(argv: list[str] | None = None) -> None:
    from harness.browser import launch_chromium

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", default=None, metavar="FLAGS",
                        help="NAME=value settings and streamlit flags; repeat to compare")
    parser.add_argument("--visits", type=int, default=3,
                        help="visits per server (the first, then the warm reference)")
    parser.add_argument("--out", type=Path, default=RESULTS / "first_visit.json")
    args = parser.parse_args(argv)
    if not 1 <= args.visits <= 20:
        parser.error("--visits: 1 to 20")
    loadavg = lambda: Path("/proc/loadavg").read_text().split()[:3]  # noqa: E731
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "target_s": TARGET_S, "background_load": background_load(),
                              "loadavg_start": loadavg(), "configs": {}}
    with launch_chromium() as browser:
        blank = browser.new_page()  # the browser's own start, before anything is timed
        blank.goto("about:blank")
        blank.close()
        print("  bare Streamlit page:", flush=True)
        with bare_server() as base:
            report["bare_streamlit_page"] = visits(browser, f"{base}/", args.visits, False)
        for config in args.config if args.config is not None else FRESH_CONFIGS:
            print(f"  {config or 'default'}:", flush=True)
            row = _with_server(config, lambda base, _pid: visits(browser, f"{base}/",
                                                                 args.visits), ready=True)
            report["configs"][config or "default"] = {
                **row, "met": row["first_visit_settled_s"] <= TARGET_S}
    report.update(background_load_end=background_load(), loadavg_end=loadavg())
    write_results(args.out, report)


if __name__ == "__main__":
    main()
