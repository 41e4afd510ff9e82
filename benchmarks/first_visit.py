"""The first visitor of a just-ready server, in a real browser, beside the bare Streamlit page.

``python -m benchmarks.first_visit [--config FLAGS ...] [--visits N]`` starts ``streamlit run
app.py`` per configuration (default: as shipped, and with the warm-up off, ``CVAE_WARM=0``,
as servers were before), waits for ``/cvae/ready`` (with the warm-up off it answers at once,
like Streamlit's health), then opens the page and times navigation -> settled: the script
idle, the latent map's points drawn, every image decoded and every chart drawn. Then
``--visits`` - 1 more visits to the same, now warm, server: the warm reference.

Every visit comes from a fresh browser context (nothing cached: what a first-time visitor's
browser holds), in a Chromium that is already running (a visitor's browser is; one blank
page is opened first, so the browser's own start is not counted). Each visit is split into
what the browser waited for: navigation -> Streamlit's frontend loaded (DOMContentLoaded),
-> its socket open, -> the script idle (the server's run), -> settled (element code, images,
the map). The same is measured, in the same browser, for the bare Streamlit page (a line
of text, ``streamlit run`` with the project's settings: `benchmarks.common.bare_server`):
the floor of any Streamlit page on this machine. Writes benchmarks/results/first_visit.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.capacity import FRESH_CONFIGS, _with_server
from benchmarks.common import RESULTS, background_load, bare_server, write_results

TARGET_S = 1.5
# The time (performance.now(), ms) the page's Streamlit socket opened.
_SOCKET_PROBE = """(() => { const W = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = new W(url, protocols);
    if (String(url).includes('/_stcore/stream') && window.__cvaeSocketOpen === undefined)
      ws.addEventListener('open', () => { window.__cvaeSocketOpen = performance.now(); });
    return ws; };
  window.WebSocket.prototype = W.prototype;
  Object.assign(window.WebSocket, W); })();"""


def timed_visit(browser: Any, url: str, with_map: bool = True) -> dict[str, float]:
    """One visit from a fresh browser context: navigation -> settled (script idle, and with
    ``with_map`` the map's points drawn; images and charts done), and its parts, in s."""
    from harness.browser import IDLE, VIEWPORT, wait_rendered

    context = browser.new_context(viewport=VIEWPORT)  # a fresh browser: nothing cached
    page = context.new_page()
    page.add_init_script(_SOCKET_PROBE)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=180_000)
        idle = time.perf_counter() - start
        if with_map:
            page.wait_for_selector(".cvae-map[data-points]", timeout=180_000)
        wait_rendered(page, timeout_ms=180_000)
        settled = time.perf_counter() - start
        loaded, socket = page.evaluate("""() => [
            performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
            window.__cvaeSocketOpen ?? null]""")
        return {"settled_s": round(settled, 2), "frontend_loaded_s": round(loaded / 1e3, 2),
                "socket_open_s": round(socket / 1e3, 2) if socket is not None else None,
                "script_idle_s": round(idle, 2)}
    finally:
        context.close()


def visits(browser: Any, url: str, count: int, with_map: bool = True) -> dict[str, Any]:
    """``count`` visits to ``url``: the first, and the later ones (the warm reference)."""
    runs = [timed_visit(browser, url, with_map) for _ in range(count)]
    row: dict[str, Any] = {"first_visit_settled_s": runs[0]["settled_s"], "visits": runs}
    if count > 1:
        row["later_visits_median_settled_s"] = round(
            statistics.median(r["settled_s"] for r in runs[1:]), 2)
    return row


def measure(browser: Any, config: str, count: int) -> dict[str, Any]:
    """A fresh server started with ``config``, waited ready; ``count`` visits."""
    row = _with_server(config, lambda base, _pid: visits(browser, f"{base}/", count),
                       ready=True)
    row["met"] = row["first_visit_settled_s"] <= TARGET_S
    print(f"  {config or 'default'}: {_line(row)}", flush=True)
    return row


def measure_bare(browser: Any, count: int) -> dict[str, Any]:
    """The bare Streamlit page, ``count`` visits."""
    with bare_server() as base:
        row = visits(browser, f"{base}/", count, with_map=False)
    print(f"  bare Streamlit page: {_line(row)}", flush=True)
    return row


def _line(row: dict[str, Any]) -> str:
    parts = " | ".join(f"{r['frontend_loaded_s']} / {r['socket_open_s']} / {r['script_idle_s']}"
                       f" / {r['settled_s']}" for r in row["visits"])
    return (f"first {row['first_visit_settled_s']} s settled; per visit, frontend loaded / "
            f"socket open / script idle / settled (s): {parts}")


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
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "target_s": TARGET_S, "background_load": background_load(),
                              "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
                              "configs": {}}
    with launch_chromium() as browser:
        blank = browser.new_page()  # the browser's own start, before anything is timed
        blank.goto("about:blank")
        blank.close()
        report["bare_streamlit_page"] = measure_bare(browser, args.visits)
        for config in args.config if args.config is not None else FRESH_CONFIGS:
            report["configs"][config or "default"] = measure(browser, config, args.visits)
    report["background_load_end"] = background_load()
    report["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    write_results(args.out, report)


if __name__ == "__main__":
    main()
