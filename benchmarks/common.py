"""Timing, process figures (/proc), machine description and FLOP counting shared by the
benchmark sections."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/mean (same unit as ``samples``) and the sample count."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "mean": statistics.fmean(ordered),
            "n": len(ordered)}


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

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    flags = cpuinfo.read_text() if cpuinfo.exists() else ""
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
