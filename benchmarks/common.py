"""What the benchmarks share beyond `harness`: timing and percentiles, process and machine
figures (/proc), servers started from a configuration string, the bare Streamlit page, a
timed browser visit, results files, FLOP counting."""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import server
from harness.paths import ROOT

CLK_TCK = os.sysconf("SC_CLK_TCK")
RESULTS = ROOT / "benchmarks" / "results"
# The bare page: one line of text, served by the same Streamlit with the project's settings.
BARE_TEXT = "A bare one-line Streamlit page."
_SETTING = re.compile(r"[A-Z_][A-Z0-9_]*=.*")


def pct(values: list[float], q: float) -> float | None:
    """The ``q`` quantile of ``values`` (nearest rank, rounded to 0.1), None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/mean (same unit as ``samples``) and the sample count."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "mean": statistics.fmean(ordered),
            "n": len(ordered)}


def write_results(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON to ``path`` and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def background_load() -> list[str]:
    """Other busy processes on the machine (>= 20 % CPU; the figures are contended if any),
    this one excluded."""
    out = subprocess.run(["ps", "-eo", "pid,pcpu,args", "--sort=-pcpu"],
                         capture_output=True, text=True).stdout.splitlines()[1:]
    rows = [line.strip().split(None, 1) for line in out]
    return [rest[:160] for pid, rest in rows
            if int(pid) != os.getpid() and float(rest.split()[0]) >= 20.0][:6]


@contextmanager
def config_server(config: str = "", ready: bool = False, script: Path | None = None,
                  ) -> Iterator[tuple[str, int, dict[str, float]]]:
    """A fresh ``streamlit run app.py`` (or ``script``) started with ``config``: streamlit
    flags, optionally led by ``NAME=value`` environment settings (e.g. ``CVAE_BATCHING=0``);
    healthy, with ``ready`` also ready. Yields its base URL, pid and the seconds from start
    to health (and to ready); stopped on exit."""
    tokens = shlex.split(config)
    env = dict(t.split("=", 1) for t in tokens if _SETTING.fullmatch(t))
    flags = [t for t in tokens if not _SETTING.fullmatch(t)]
    port = server.free_port()
    start = time.monotonic()
    proc = server.start_server(port, flags, env=env, script=script)
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base, proc)
        times = {"start_to_health_s": round(time.monotonic() - start, 1)}
        if ready:
            server.wait_ready(base, proc)
            times["start_to_ready_s"] = round(time.monotonic() - start, 1)
        yield base, proc.pid, times
    finally:
        server.stop_server(proc)


@contextmanager
def bare_server() -> Iterator[str]:
    """The bare page (`BARE_TEXT`) served on a free port; its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bare.py"
        script.write_text(f"import streamlit as st\n\nst.write({BARE_TEXT!r})\n")
        with config_server(script=script) as (base, _, _):
            yield base


# The time (performance.now(), ms) the page's Streamlit socket opened.
_SOCKET_PROBE = """(() => { const W = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = new W(url, protocols);
    if (String(url).includes('/_stcore/stream') && window.__cvaeSocketOpen === undefined)
      ws.addEventListener('open', () => { window.__cvaeSocketOpen = performance.now(); });
    return ws; };
  window.WebSocket.prototype = W.prototype;
  Object.assign(window.WebSocket, W); })();"""
_VISITED = """() => [performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
  window.__cvaeSocketOpen ?? null, [...document.images].map(i => ({
    src: i.getAttribute('src') || '', ok: i.complete && i.naturalWidth > 0}))]"""


def browser_visit(browser: Any, url: str, cookie: str | None = None,
                  with_map: bool = True) -> dict[str, Any]:
    """One visit to ``url`` from a fresh browser context (nothing cached), with an optional
    ``cvae_route`` cookie: seconds from navigation to Streamlit's frontend loaded
    (DOMContentLoaded), its socket open, the script idle and settled (with ``with_map`` the
    map's points drawn; every image decoded and chart drawn); the pictures on the page and
    any that failed (an /media answer >= 400, or not decoded)."""
    from harness.browser import IDLE, VIEWPORT, wait_rendered

    context = browser.new_context(viewport=VIEWPORT)
    if cookie:
        context.add_cookies([{"name": "cvae_route", "value": cookie, "url": url}])
    page = context.new_page()
    page.add_init_script(_SOCKET_PROBE)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if "/media/" in r.url and r.status >= 400 else None)
    try:
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=180_000)
        idle = time.perf_counter() - start
        if with_map:
            page.wait_for_selector(".cvae-map[data-points]", timeout=180_000)
        wait_rendered(page, timeout_ms=180_000)
        settled = time.perf_counter() - start
        loaded, socket, images = page.evaluate(_VISITED)
        served = [c["value"] for c in context.cookies() if c["name"] == "cvae_route"]
    finally:
        context.close()
    media = [i for i in images if "/media/" in i["src"]]
    return {"settled_s": round(settled, 2), "frontend_loaded_s": round(loaded / 1e3, 2),
            "socket_open_s": round(socket / 1e3, 2) if socket is not None else None,
            "script_idle_s": round(idle, 2), "images": len(images), "media_images": len(media),
            "media_missing": failed + [i["src"] for i in media if not i["ok"]],
            "not_decoded": sum(not i["ok"] for i in images),
            "cookie": served[0] if served else None}


def time_calls(fn: Callable[[], Any], repeats: int, warmup: int = 2) -> dict[str, float]:
    """Wall-clock milliseconds of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return percentiles(samples)


def rss_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024.0
    return {"rss_mb": fields["VmRSS"], "peak_rss_mb": fields["VmHWM"]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds consumed so far by ``pid`` (all threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu_ticks() -> tuple[int, int, int]:
    """Whole-machine CPU ticks so far from /proc/stat: (busy, idle, steal), summed over
    cores (idle includes I/O wait; steal is time the hypervisor ran something else)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    steal = fields[7] if len(fields) > 7 else 0
    return sum(fields[:8]) - idle - steal, idle, steal


def machine_cpu_share(before: tuple[int, int, int], after: tuple[int, int, int]
                      ) -> dict[str, float]:
    """Busy and stolen shares (%) of all cores between two `machine_cpu_ticks` readings."""
    busy, idle, steal = (a - b for a, b in zip(after, before, strict=True))
    total = max(1, busy + idle + steal)
    return {"machine_busy_pct": round(100.0 * busy / total, 1),
            "machine_steal_pct": round(100.0 * steal / total, 1)}


def thread_count(pid: int) -> int:
    """Number of threads of ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import keras
    import numpy as np
    import streamlit
    import tensorflow as tf

    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text() if cpuinfo.exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in flags.splitlines()
                if line.startswith("model name")), "unknown")
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gb, 1),
        "avx512": "avx512f" in flags, "gpus": len(tf.config.list_physical_devices("GPU")),
        "python": platform.python_version(), "tensorflow": tf.__version__,
        "keras": keras.__version__, "numpy": np.__version__,
        "streamlit": streamlit.__version__, "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def layer_flops(model: Any) -> float:
    """Multiply-add FLOPs (x2) of one forward pass of a built Keras Sequential, per example.

    Counts Dense, Conv2D and Conv2DTranspose layers, which dominate the VAE nets.
    """
    import keras

    total = 0.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            kh, kw, cout, cin = layer.kernel.shape
            _, h, w, _ = layer.input.shape
            total += 2.0 * h * w * cin * kh * kw * cout
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2.0 * h * w * cin * kh * kw * cout
    return total
