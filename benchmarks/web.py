"""First load on a phone and in Lighthouse, each beside a bare one-line Streamlit page
(``python -m benchmarks --only web``).

Two pages served by the same Streamlit in the same run: the app and the bare page
(`benchmarks.common.bare_server`: the framework's own floor); two paths for each: the plain
server and behind ``deploy/nginx.conf`` rendered for loopback (`harness.nginx`). Each server
is visited once unthrottled first (models loaded, the compressed bundle ready).

* Phone first visit (390×844 CSS px, touch, mobile user agent, a fresh context, cache off)
  under Chromium's network emulation: "fast 4G" 9 Mbps down / 1.5 up, 60 ms latency; "slow
  4G" 1.6 / 0.75 Mbps, 150 ms. Seconds from navigation to the first digit the map paints
  (its test log ``window.__cvaeTest.paints``; the bare page: the first animation frame with
  its text), and the HTTP bytes on the wire before it (``encodedDataLength`` of responses
  finished by then plus the received parts of unfinished ones; WebSocket frames, which the
  emulation does not throttle, apart). Median of 3 visits (1 with ``--quick``).
* Whole page: every byte of the fast-4G visit after scrolling to the bottom, once the
  network is quiet.
* Lighthouse (npm ``lighthouse``: ``$CVAE_LIGHTHOUSE`` or on ``PATH``; Debian's Chromium),
  mobile (simulated slow 4G, 4× CPU slowdown) and ``--preset=desktop``: performance,
  accessibility, LCP, CLS, TBT; median of 3 runs (1 with ``--quick``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import BARE_TEXT, bare_server

PHONE = {"width": 390, "height": 844}
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/131.0.0.0 Mobile Safari/537.36")
# Chromium's emulation: latency is the added round trip per request; throughputs in bytes/s.
PROFILES = {
    "fast4g": {"latency": 60, "downloadThroughput": 9e6 / 8, "uploadThroughput": 1.5e6 / 8},
    "slow4g": {"latency": 150, "downloadThroughput": 1.6e6 / 8,
               "uploadThroughput": 0.75e6 / 8},
}
PAGES = ("app", "bare")
PAINT_TIMEOUT_MS = 180_000
PATHS = ("plain", "nginx")

MAP_FLAG = "window.__cvaeTest = {paints: [], pointer: [], keys: []};"
# The bare page's "first digit": the first animation frame with its text in the DOM.
BARE_WATCH = f"""(() => {{ const look = () => requestAnimationFrame((t) => {{
  if (document.body && document.body.innerText.includes({json.dumps(BARE_TEXT)})) {{
    window.__firstText = t; }} else {{ look(); }} }}); look(); }})();"""
FIRST_PAINT = {"app": "window.__cvaeTest && window.__cvaeTest.paints.length ? "
                      "window.__cvaeTest.paints[0].t : null",
               "bare": "window.__firstText || null"}


def lighthouse_command() -> str | None:
    """The Lighthouse CLI (``$CVAE_LIGHTHOUSE``, else ``lighthouse`` on PATH), or None."""
    named = os.environ.get("CVAE_LIGHTHOUSE")
    if named:
        return named if Path(named).is_file() or shutil.which(named) else None
    return shutil.which("lighthouse")


def wait_compressed(base: str, timeout: float = 600.0) -> bool:
    """Wait until the server sends its main JS bundle compressed (False: it never did)."""
    html = urllib.request.urlopen(f"{base}/", timeout=30).read().decode()
    main = re.search(r"static/js/index\.[\w-]+\.js", html)
    if main is None:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{base}/{main.group(0)}",
                                         headers={"Accept-Encoding": "gzip"}, method="HEAD")
        with urllib.request.urlopen(request, timeout=30) as r:
            if r.headers.get("Content-Encoding"):
                return True
        time.sleep(2)
    return False


class Wire:
    """Bytes on the wire of one page visit, from CDP Network events."""

    def __init__(self, cdp: Any) -> None:
        self.start: float | None = None
        self.finished: list[tuple[float, str, int]] = []  # (time, request, bytes)
        self.received: list[tuple[float, str, int]] = []
        self.frames: list[tuple[float, str, int]] = []  # WebSocket frames
        self.last_event = time.monotonic()
        for event, into, size in (
                ("Network.loadingFinished", self.finished, lambda e: e["encodedDataLength"]),
                ("Network.dataReceived", self.received, lambda e: e.get("encodedDataLength", 0)),
                ("Network.webSocketFrameReceived", self.frames,
                 lambda e: len(e["response"].get("payloadData", "")))):
            cdp.on(event, lambda e, into=into, size=size: self._log(
                into, (e["timestamp"], e.get("requestId", ""), int(size(e)))))
        cdp.on("Network.requestWillBeSent", self._sent)

    def _sent(self, event: dict) -> None:
        if self.start is None and event.get("type") == "Document":
            self.start = event["timestamp"]
        self.last_event = time.monotonic()

    def _log(self, into: list, item: tuple) -> None:
        into.append(item)
        self.last_event = time.monotonic()

    def _end(self, until_s: float | None) -> float:
        return float("inf") if until_s is None or self.start is None else self.start + until_s

    def http_bytes(self, until_s: float | None = None) -> int:
        """HTTP bytes received by ``until_s`` seconds after navigation (all: None)."""
        end = self._end(until_s)
        done = {rid for t, rid, _ in self.finished if t <= end}
        return (sum(n for t, _, n in self.finished if t <= end)
                + sum(n for t, rid, n in self.received if t <= end and rid not in done))

    def ws_bytes(self, until_s: float | None = None) -> int:
        return sum(n for t, _, n in self.frames if t <= self._end(until_s))


def phone_visit(browser: Any, base: str, page_kind: str, profile: str | None,
                scroll: bool = False) -> dict[str, Any]:
    """One cold phone visit under ``profile`` (None: unthrottled): first digit (or text)
    painted and the bytes before it; with ``scroll`` the whole page's bytes."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True,
                                  has_touch=True, user_agent=MOBILE_UA)
    try:
        page = context.new_page()
        page.add_init_script(MAP_FLAG if page_kind == "app" else BARE_WATCH)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if profile:
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **PROFILES[profile]})
        wire = Wire(cdp)
        page.goto(f"{base}/", wait_until="commit", timeout=300_000)
        try:
            handle = page.wait_for_function(FIRST_PAINT[page_kind], timeout=PAINT_TIMEOUT_MS,
                                            polling=100)
        except PlaywrightTimeout:  # a run that never paints is reported, not fatal
            return {"error": f"nothing painted within {PAINT_TIMEOUT_MS / 1000:.0f} s",
                    "bytes_so_far": wire.http_bytes()}
        first_s = float(handle.json_value()) / 1000.0
        out = {"first_paint_s": round(first_s, 3), "bytes_before": wire.http_bytes(first_s),
               "ws_bytes_before": wire.ws_bytes(first_s)}
        if scroll:
            for _ in range(40):
                page.mouse.wheel(0, 600)
                page.wait_for_timeout(250)
            quiet_since = time.monotonic()
            while time.monotonic() - quiet_since < 120:
                page.wait_for_timeout(500)
                if time.monotonic() - wire.last_event > 3:
                    break
            out.update(whole_page_bytes=wire.http_bytes(), whole_page_ws_bytes=wire.ws_bytes())
        return out
    finally:
        context.close()


def lighthouse_run(command: str, url: str, form: str) -> dict[str, Any]:
    """One Lighthouse run (``form`` "mobile" or "desktop"): scores and the three metrics."""
    from harness.browser import CHROMIUM

    args = [command, url, "--output=json", "--output-path=stdout", "--quiet",
            "--only-categories=performance,accessibility", "--max-wait-for-load=90000",
            "--chrome-flags=--headless=new --no-sandbox"]
    if form == "desktop":
        args.append("--preset=desktop")
    done = subprocess.run(args, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CHROME_PATH": str(CHROMIUM)})
    if done.returncode:
        return {"error": (done.stderr or done.stdout)[-500:]}
    report = json.loads(done.stdout)
    if report.get("runtimeError"):
        return {"error": report["runtimeError"].get("message", "runtime error")}
    audits, categories = report["audits"], report["categories"]

    def score(name: str) -> float | None:
        value = categories[name].get("score")
        return None if value is None else round(100 * value)

    return {"performance": score("performance"), "accessibility": score("accessibility"),
            "lcp_s": round(audits["largest-contentful-paint"]["numericValue"] / 1000, 2),
            "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
            "tbt_ms": round(audits["total-blocking-time"]["numericValue"])}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field medians of the runs that succeeded (with the runs kept)."""
    good = [r for r in runs if "error" not in r]
    out: dict[str, Any] = {"runs": runs}
    if good:
        for key in good[0]:
            values = [r[key] for r in good if r.get(key) is not None]
            out[key] = statistics.median(values) if values else None
    return out


def measure_page(browser: Any, base: str, page_kind: str, repeats: int,
                 lighthouse: str | None, lh_runs: int) -> dict[str, Any]:
    """Every figure of one page on one path."""
    print(f"[web]   {page_kind} at {base}", file=sys.stderr, flush=True)
    for _ in range(2):  # unthrottled until it paints: the server loaded what a visit needs
        if "error" not in phone_visit(browser, base, page_kind, None):
            break
    result: dict[str, Any] = {}
    for profile in PROFILES:
        visits = [phone_visit(browser, base, page_kind, profile,
                              scroll=profile == "fast4g" and i == 0) for i in range(repeats)]
        result[profile] = median_of([{k: v for k, v in visit.items()
                                      if not k.startswith("whole")} for visit in visits])
        if profile == "fast4g":
            result["whole_page_bytes"] = visits[0].get("whole_page_bytes")
            result["whole_page_ws_bytes"] = visits[0].get("whole_page_ws_bytes")
    if lighthouse is None:
        result["lighthouse"] = {"skipped": "no Lighthouse CLI (npm install lighthouse; set "
                                           "CVAE_LIGHTHOUSE to its bin/lighthouse)"}
    else:
        result["lighthouse"] = {form: median_of([lighthouse_run(lighthouse, f"{base}/", form)
                                                 for _ in range(lh_runs)])
                                for form in ("mobile", "desktop")}
    return result


def run(quick: bool) -> dict[str, Any]:
    """All the web figures (see the module docstring)."""
    from harness.browser import chromium_missing, launch_chromium
    from harness.nginx import loopback_nginx
    from harness.server import running_app, wait_healthy

    if chromium_missing():
        return {"skipped": chromium_missing()}
    repeats = lh_runs = 1 if quick else 3
    lighthouse = lighthouse_command()
    out: dict[str, Any] = {"visits_per_profile": repeats, "lighthouse_runs": lh_runs,
                           "profiles": PROFILES, "phone": {**PHONE, "device_scale_factor": 3},
                           "paths": {path: {} for path in PATHS}}
    with tempfile.TemporaryDirectory(prefix="cvae-web-") as tmp, launch_chromium() as browser, \
            running_app("benchmark-web-app.log", timeout=300) as (app_base, _), \
            bare_server() as bare_base:
        out["app_static_compressed"] = wait_compressed(app_base)
        bases = {"app": app_base, "bare": bare_base}
        for kind in PAGES:
            out["paths"]["plain"][kind] = measure_page(browser, bases[kind], kind, repeats,
                                                       lighthouse, lh_runs)
        for kind in PAGES:
            folder = Path(tmp) / f"nginx-{kind}"
            folder.mkdir()
            with loopback_nginx([bases[kind].removeprefix("http://")], folder) as front:
                wait_healthy(front, None, 30)
                out["paths"]["nginx"][kind] = measure_page(browser, front, kind, repeats,
                                                           lighthouse, lh_runs)
    return out
