"""Capacity: how many simulated visitors one app server holds, without browsers.

``python -m benchmarks.capacity [--quick] [--soak | --fresh-ready | --flood] [--costs]``
starts ``streamlit run app.py`` per ``--config`` (or targets ``--url``, loopback only).
Visitors speak Streamlit's own WebSocket protocol (`harness.st_protocol`): each opens
``/?model=...&digit=...``, then acts every ``--think`` s (± 50 %): latent slider steps
(fragment reruns), drags on the map (one position per 60 Hz frame over ``/cvae/live``, then
the release's rerun), class and grid-size changes, the odd model switch. Every answer is
checked against the visitor's own state (else a cross-session mix-up). An action's latency
is sent -> ``script_finished``; a drag's decodes (sent -> its decode received) are reported
apart and are not actions. Modes (`MODES`, docs/capacity.md): the ramp (visitors accumulate
over ``--steps``, each measured for a fixed window; ``--costs`` adds server CPU per action
kind), ``--soak`` (creep, RSS and retracing after ``--sessions`` short sessions),
``--fresh-ready`` (a burst on a just-ready server), ``--flood`` (visitors beside one client
flooding live sockets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.common import (
    RESULTS,
    background_load,
    config_server,
    cpu_seconds,
    machine_cpu_share,
    machine_cpu_ticks,
    pct,
    rss_mb,
    thread_count,
    write_results,
)
from cvae.live.protocol import HEADER as LIVE_HEADER
from harness.st_protocol import ProtocolFailure, RunResult, StSession, check_loopback

STEPS, QUICK_STEPS = (10, 20, 40, 70, 100, 140), (10, 20, 40, 70, 100)
MODELS = ("class-prior-2d", "mlp-20d", "tfp-16d")
# (action, weight): mostly latent moves, sometimes class / grid, rarely a model switch.
PLAN = (("step", 55), ("drag", 20), ("digit", 12), ("grid", 8), ("model", 5))
PLANS = {"generator": PLAN, "reruns": tuple(p for p in PLAN if p[0] != "drag")}
DRAG_FRAMES = (20, 40)  # positions per drag, one per 60 Hz frame (1/3 to 2/3 s)
FRAME_S = 1 / 60
IN_FLIGHT = 8  # as the map's transport.js: at most 8 unanswered, the newest waits
P95_TARGET_MS, P99_TARGET_MS, FLOOD_RATIO_TARGET = 300.0, 1000.0, 2.0
FLOOD_ADDRESS = "127.255.0.1"  # one flooding client, apart from every visitor's address
FLOOD_SNDBUF = 16 * 1024  # bytes of send buffer per flooding socket


@dataclass
class Sample:
    """One completed (or failed) action, or one live decode (kind ``decode``)."""

    kind: str
    sent: float
    latency_ms: float
    nbytes: int
    ok: bool
    mixup: bool = False


@dataclass
class Shared:
    """State all visitors of one run write to."""

    samples: list[Sample] = field(default_factory=list)
    opens_ms: list[float] = field(default_factory=list)
    opened_at: list[float] = field(default_factory=list)  # perf_counter when each open ended
    open_errors: int = 0
    errors: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


def _run_async(coro: Any) -> Any:
    """``asyncio.run(coro)``, in a thread of its own when this thread runs a loop already
    (e.g. one left running by Streamlit's AppTest in a test session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def check_step(session: StSession, result: RunResult) -> bool:
    """True when a latent move's answer shows this session's own (z1, z2): in the decoded
    digit's caption (page without the map) or in the point sent to the latent map."""
    z = (round(session.widget("z1").value[0], 2), round(session.widget("z2").value[0], 2))
    for caption in result.captions:
        if caption.startswith(("p(x | z) at (", "p(x | z, y) at (")):
            return caption.split(" at ", 1)[1].startswith(f"({z[0]:.2f}, {z[1]:.2f})")
    for raw in result.components:  # the map's JSON data: its "point"
        try:
            point = json.loads(raw).get("point")
        except (ValueError, AttributeError):
            continue
        if isinstance(point, list) and len(point) == 2:
            return (round(float(point[0]), 2), round(float(point[1]), 2)) == z
    return False


async def _act(session: StSession, rng: random.Random, kind: str) -> tuple[RunResult, bool]:
    """Perform one action; return the run's result and whether it showed our own state."""
    w = session.widget(rng.choice(("z1", "z2")) if kind == "step" else
                       "n" if kind == "grid" else kind)
    if kind == "step":
        lo, hi = w.bounds
        delta = rng.choice((-0.05, 0.05))
        new = round(w.value[0] + delta, 2)
        w.value = [new if lo <= new <= hi else round(w.value[0] - delta, 2)]
    elif kind == "grid":
        lo, hi = w.bounds
        w.value = [min(hi, max(lo, w.value[0] + rng.choice((-1.0, 1.0))))]
    elif kind in ("digit", "model"):
        w.value = rng.choice([o for o in w.options if o != w.value])
    else:
        raise ValueError(kind)
    result = await session.run(w.fragment_id)
    echoed = result.widgets.get(w.key)
    if kind == "step":
        return result, check_step(session, result)
    if kind == "digit":  # reruns only the panels that show the class (not the radio itself)
        return result, check_step(session, result) and any(
            f"offset by the class-{w.value} " in c for c in result.captions)
    n = int(w.value[0]) if kind == "grid" else None
    return result, echoed is not None and echoed.value == w.value and (
        n is None or any(c.startswith(f"{n}×{n} codes") for c in result.captions))


async def visitor(base_url: str, index: int, shared: Shared, think_s: float, seed: int,
                  models: list[str], plan: tuple[tuple[str, int], ...] = PLAN) -> None:
    """One simulated visitor: open the page, then act on a think time until told to stop."""
    rng = random.Random(seed * 1000 + index)
    kinds, weights = zip(*plan, strict=True)
    live = None
    try:
        async with StSession(base_url, f"model={models[index % len(models)]}"
                                       f"&digit={index % 10}") as session:
            start = time.perf_counter()
            first = await session.run(timeout=300)
            shared.opened_at.append(time.perf_counter())
            shared.opens_ms.append((shared.opened_at[-1] - start) * 1000.0)
            if first.exceptions:
                shared.errors.append(f"open: {first.exceptions[0]}")
            while not shared.stop.is_set():
                try:
                    await asyncio.wait_for(shared.stop.wait(), think_s * rng.uniform(0.5, 1.5))
                    break
                except TimeoutError:
                    pass
                kind = rng.choices(kinds, weights)[0]
                if kind == "drag":  # live decodes while dragging, then the release's rerun
                    live = live or await open_live(base_url, visitor_address(index))
                    await _drag(live, session, rng, shared)
                    kind = "release"
                sent = time.perf_counter()
                try:
                    result, own = await _act(session, rng, "step" if kind == "release" else kind)
                except (ProtocolFailure, OSError, TimeoutError, KeyError) as exc:
                    shared.samples.append(Sample(kind, sent, float("nan"), 0, False))
                    shared.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
                    return
                ok = not result.exceptions
                if not ok:
                    shared.errors.append(f"{kind}: {result.exceptions[0]}"[:200])
                shared.samples.append(Sample(kind, sent, (time.perf_counter() - sent) * 1000.0,
                                             result.nbytes, ok, mixup=ok and not own))
    except Exception as exc:  # a visitor that cannot connect or open counts as an error
        if not shared.stop.is_set():
            shared.open_errors += 1
            shared.errors.append(f"visitor {index}: {type(exc).__name__}: {exc}"[:200])
    finally:
        if live is not None:
            await live.close()


def live_url(base_url: str) -> str:
    """The live decode channel's address for an ``http://host:port`` base."""
    return base_url.replace("http://", "ws://", 1).rstrip("/") + "/cvae/live"


def visitor_address(index: int) -> str:
    """Visitor ``index``'s own loopback source address (127.0.1.1, ...): the server caps live
    sockets per client address (Linux routes all of 127/8 to loopback)."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


async def open_live(base_url: str, address: str | None = None) -> Any:
    """The live channel as the page's browser opens it: with the page's ``Origin`` (the
    server refuses other origins), from loopback source ``address`` when given."""
    import websockets

    page = urlsplit(base_url)
    extra = {"local_addr": (address, 0)} if address else {}
    return await websockets.connect(live_url(base_url), open_timeout=10,
                                    origin=f"{page.scheme}://{page.netloc}", **extra)


async def _drag(live: Any, session: StSession, rng: random.Random, shared: Shared) -> None:
    """A drag on the map as the browser makes it: one position per frame on a small arc,
    at most `IN_FLIGHT` unanswered (older waiting positions are skipped); each answer must
    echo its own position (seq, x, y) and is a ``decode`` sample timed from its send."""
    model, digit = str(session.widget("model").value), int(session.widget("digit").value)
    x0, y0 = session.widget("z1").value[0], session.widget("z2").value[0]
    sent: dict[int, tuple[float, float, float]] = {}
    state = {"acked": 0, "seq": 0}

    async def receive() -> None:
        while True:
            frame = await live.recv()
            now = time.perf_counter()
            if isinstance(frame, str):  # an error frame, e.g. the rate cap
                shared.samples.append(Sample("decode", now, float("nan"), len(frame), False))
                shared.errors.append(f"decode: {frame}"[:200])
                seq = json.loads(frame).get("seq") or state["acked"]
            else:
                seq, x, y = LIVE_HEADER.unpack_from(frame)
                t, want_x, want_y = sent[seq]
                ok = abs(x - want_x) < 1e-3 and abs(y - want_y) < 1e-3
                shared.samples.append(Sample("decode", t, (now - t) * 1000.0, len(frame), ok,
                                             mixup=not ok))
            state["acked"] = max(state["acked"], int(seq))

    receiver = asyncio.create_task(receive())
    for i in range(rng.randint(*DRAG_FRAMES)):
        a = 2 * math.pi * i / 120
        x, y = round(x0 + math.cos(a) - 1, 3), round(y0 + math.sin(a), 3)
        if state["seq"] - state["acked"] < IN_FLIGHT:  # else this frame's position is skipped
            state["seq"] += 1
            sent[state["seq"]] = (time.perf_counter(), x, y)
            await live.send(json.dumps({"seq": state["seq"], "model": model, "digit": digit,
                                        "x": x, "y": y}))
        await asyncio.sleep(FRAME_S)
    deadline = time.perf_counter() + 10.0
    while state["acked"] < state["seq"] and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    receiver.cancel()
    await asyncio.gather(receiver, return_exceptions=True)
    if state["acked"] < state["seq"]:
        shared.errors.append("decode: answers missing 10 s after the drag")


def _latency(samples: list[Sample]) -> dict[str, Any]:
    lat = [s.latency_ms for s in samples if s.ok]
    return {"p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95), "p99_ms": pct(lat, 0.99)}


def _summary(samples: list[Sample], seconds: float) -> dict[str, Any]:
    decodes = [s for s in samples if s.kind == "decode"]
    actions = [s for s in samples if s.kind != "decode"]
    done = [s for s in actions if s.ok]
    d_lat = [s.latency_ms for s in decodes if s.ok]
    return {
        "actions": len(actions), "actions_per_s": round(len(done) / seconds, 2),
        **_latency(actions), "errors": sum(not s.ok for s in samples),
        "mixups": sum(s.mixup for s in samples),
        "kb_per_action": round(statistics.fmean(s.nbytes for s in done) / 1024, 1)
        if done else None,
        "by_kind": {kind: {"n": len(k), "p50_ms": pct(k, 0.5), "p95_ms": pct(k, 0.95)}
                    for kind in sorted({s.kind for s in done})
                    for k in [[s.latency_ms for s in done if s.kind == kind]]},
        "live_decodes": {"per_s": round(len(d_lat) / seconds, 1), "p50_ms": pct(d_lat, 0.5),
                         "p95_ms": pct(d_lat, 0.95)}}


def _window(shared: Shared, t0: float, t1: float) -> list[Sample]:
    """The samples sent in [t0, t1] that finished by t1 (or failed)."""
    return [s for s in shared.samples
            if t0 <= s.sent <= t1 and (not s.ok or s.sent + s.latency_ms / 1e3 <= t1)]


async def _measured(shared: Shared, seconds: float, pid: int | None) -> dict[str, Any]:
    """Sleep ``seconds`` and summarise what the visitors did meanwhile (and the server)."""
    cpu0 = cpu_seconds(pid) if pid else None
    ticks0, own0, t0 = machine_cpu_ticks(), time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    row = {"seconds": round(t1 - t0, 1), **_summary(_window(shared, t0, t1), t1 - t0),
           "client_cpu_pct": round(100.0 * (time.process_time() - own0) / (t1 - t0), 1),
           "loadavg_1m": float(Path("/proc/loadavg").read_text().split()[0]),
           **machine_cpu_share(ticks0, machine_cpu_ticks()), "errors_sample": shared.errors[-3:]}
    if pid:
        row["server_cpu_pct"] = round(100.0 * (cpu_seconds(pid) - cpu0) / (t1 - t0), 1)
        row["server_rss_mb"] = round(rss_mb(pid)["rss_mb"], 1)
        row["server_threads"] = thread_count(pid)
    return row


async def _add_visitors(url: str, shared: Shared, tasks: list[asyncio.Task], target: int,
                        think_s: float, seed: int, models: list[str],
                        plan: tuple[tuple[str, int], ...] = PLAN, gap: float = 0.05) -> None:
    """Start visitors up to ``target`` (``gap`` s apart: browsers do not arrive at once;
    0: all at once, not waited for); with a gap, wait for their pages and the burst."""
    while len(tasks) < target:
        tasks.append(asyncio.create_task(
            visitor(url, len(tasks), shared, think_s, seed, models, plan)))
        if gap:
            await asyncio.sleep(gap)
    if gap:
        deadline = time.monotonic() + 300
        while len(shared.opens_ms) + shared.open_errors < target and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(min(2.0, think_s))  # let the opening burst drain


async def _stop(shared: Shared, tasks: list[asyncio.Task]) -> None:
    shared.stop.set()
    await asyncio.wait(tasks, timeout=60)
    for task in tasks:
        task.cancel()


def _row_line(row: dict[str, Any]) -> str:
    return (f"  {row['visitors']:>4} visitors  {row['actions_per_s']:>6} act/s  "
            f"p50 {row['p50_ms']} p95 {row['p95_ms']} p99 {row['p99_ms']} ms  "
            f"err {row['errors']} mix {row['mixups']}  {row['kb_per_action']} kB/act  "
            f"live {row['live_decodes']['per_s']}/s p95 {row['live_decodes']['p95_ms']} ms  "
            f"cpu {row.get('server_cpu_pct')}% (client {row['client_cpu_pct']}%) "
            f"rss {row.get('server_rss_mb')} MB  machine {row['machine_busy_pct']}% busy "
            f"{row['machine_steal_pct']}% stolen")


def max_visitors(rows: list[dict[str, Any]], p95_ms: float = P95_TARGET_MS) -> int:
    """Largest step (in ramp order, stopping at the first miss) with p95 <= ``p95_ms``, no
    errors and no mix-ups; 0 if even the first step misses."""
    best = 0
    for row in rows:
        if row["p95_ms"] is None or row["p95_ms"] > p95_ms or row["errors"] or row["mixups"]:
            break
        best = row["visitors"]
    return best


async def warm_up(url: str, models: list[str]) -> None:
    """Load every model a visitor can open or switch to and fill the caches for the
    visitors' models, once, outside any measured window (a first load is a start-up cost)."""
    rng, switchable = random.Random(0), []
    for name in models:
        async with StSession(url, f"model={name}&digit=0") as session:
            await session.run(timeout=300)
            switchable = [str(m) for m in session.widget("model").options]
            for kind in ("step", "digit", "grid"):
                await _act(session, rng, kind)
    for name in [m for m in switchable if m not in models]:
        async with StSession(url, f"model={name}&digit=0") as session:
            await session.run(timeout=300)


async def _ramp(url: str, steps: list[int], step_s: float, think_s: float, pid: int | None,
                seed: int, models: list[str]) -> list[dict[str, Any]]:
    shared, tasks, rows = Shared(), [], []
    for target in steps:  # visitors accumulate
        opened = len(shared.opens_ms)
        await _add_visitors(url, shared, tasks, target, think_s, seed, models)
        rows.append({"visitors": target, **await _measured(shared, step_s, pid),
                     "open_p50_ms": pct(shared.opens_ms[opened:], 0.5),
                     "open_errors": shared.open_errors})
        print(_row_line(rows[-1]), flush=True)
    await _stop(shared, tasks)
    return rows


def run_capacity(url: str, visitors_steps: list[int], step_seconds: float,
                 think_s: float = 2.0, pid: int | None = None, seed: int = 0,
                 models: list[str] | None = None, warm: bool = True) -> dict[str, Any]:
    """Ramp visitors against a running server at ``url`` (loopback only); per-step figures
    and ``max_visitors_p95_300ms``. ``pid`` adds the server's RSS and CPU."""
    check_loopback(url)
    names = list(models or MODELS)
    if warm:
        _run_async(warm_up(url, names))
    try:
        _run_async(_close(open_live(url)))
    except Exception as exc:
        raise ProtocolFailure(f"{live_url(url)} refuses the live decode channel") from exc
    rows = _run_async(_ramp(url, list(visitors_steps), step_seconds, think_s, pid, seed, names))
    return {"steps": rows, "max_visitors_p95_300ms": max_visitors(rows),
            "drags": "live channel decodes, then one rerun on release"}


async def _close(connecting: Any) -> None:
    await (await connecting).close()


# --- the soak ---------------------------------------------------------------------------------

async def _short_sessions(url: str, count: int, concurrency: int, models: list[str],
                          pid: int | None) -> dict[str, Any]:
    """``count`` short sessions, ``concurrency`` at a time: open, three latent steps, a class
    change, close. Failures, reruns, exceptions shown and RSS every 100 sessions."""
    sem = asyncio.Semaphore(concurrency)
    out: dict[str, Any] = {"session_failures": 0, "reruns": 0, "exceptions": 0,
                           "rss_every_100_sessions": []}
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        rng = random.Random(i)
        async with sem:
            try:
                async with StSession(url, f"model={models[i % len(models)]}&digit={i % 10}") as s:
                    runs = [await s.run(timeout=120)]
                    for kind in ("step", "step", "step", "digit"):
                        runs.append((await _act(s, rng, kind))[0])
                out["reruns"] += len(runs)
                out["exceptions"] += sum(len(r.exceptions) for r in runs)
            except Exception:
                out["session_failures"] += 1
            done += 1
            if done % 100 == 0 and pid:
                out["rss_every_100_sessions"].append({"sessions": done, **rss_mb(pid)})

    await asyncio.gather(*(one(i) for i in range(count)))
    return out


def serving_traces(url: str, models: list[str]) -> dict[str, int | None]:
    """How many times each model's compiled graphs were traced in the server (the
    ``traces`` of ``GET /cvae/ready``'s body; None for a model not loaded)."""
    import requests

    traces = requests.get(f"{url.rstrip('/')}/cvae/ready", timeout=30).json().get("traces", {})
    return {name: traces.get(name) for name in models}


def run_soak(url: str, sessions: int = 1000, probe_visitors: int = 10, probe_s: float = 30.0,
             pid: int | None = None, models: list[str] | None = None) -> dict[str, Any]:
    """Creep after many sessions: ``probe_visitors``' latency on a fresh server, then
    ``sessions`` short sessions (`_short_sessions`), then the probe again; the server's RSS
    (with ``pid``) and its models' trace counts before and after the sessions."""
    check_loopback(url)
    names = list(models or MODELS)
    before = run_capacity(url, [probe_visitors], probe_s, pid=pid, seed=1, models=names)
    traces0, rss0, start = serving_traces(url, names), rss_mb(pid) if pid else None, time.time()
    served = _run_async(_short_sessions(url, sessions, 20, names, pid))
    served_s, traces1, rss1 = time.time() - start, serving_traces(url, names), (
        rss_mb(pid) if pid else None)
    after = run_capacity(url, [probe_visitors], probe_s, pid=pid, seed=2, models=names,
                         warm=False)
    b, a = before["steps"][0], after["steps"][0]
    return {"sessions": sessions, **served, "sessions_seconds": round(served_s, 1),
            "before": b, "after": a,
            "p50_creep": round(a["p50_ms"] / b["p50_ms"], 2) if a["p50_ms"] and b["p50_ms"]
            else None,
            "rss_mb_before": rss0 and round(rss0["rss_mb"], 1),
            "rss_mb_after": rss1 and round(rss1["rss_mb"], 1),
            "rss_growth_mb": rss1 and rss0 and round(rss1["rss_mb"] - rss0["rss_mb"], 1),
            "peak_rss_mb": rss1 and round(rss1["peak_rss_mb"], 1),
            "traces_before": traces0, "traces_after": traces1}


# --- server CPU per action kind (--costs) ---------------------------------------------------

async def _action_costs(url: str, pid: int, actions: int, model: str) -> dict[str, Any]:
    rng, costs = random.Random(3), {}
    async with StSession(url, f"model={model}&digit=3") as session:
        await session.run(timeout=300)
        live = await open_live(url)
        try:
            for kind in ("step", "drag", "digit", "grid", "model"):
                async def act(kind: str = kind) -> None:
                    if kind == "drag":
                        await _drag(live, session, rng, Shared())
                    await _act(session, rng, "step" if kind == "drag" else kind)

                for _ in range(20):  # every class, grid size and model seen once: warm caches
                    await act()
                lat, cpu0 = [], cpu_seconds(pid)
                for _ in range(actions):
                    t = time.perf_counter()
                    await act()
                    lat.append((time.perf_counter() - t) * 1000.0)
                    await asyncio.sleep(0.05)
                costs[kind] = {
                    "server_cpu_ms": round(1000.0 * (cpu_seconds(pid) - cpu0) / actions, 1),
                    "p50_ms": pct(lat, 0.5)}
                if kind == "drag":
                    costs[kind]["covers"] = "20-40 live decodes and the release's rerun"
                print(f"  {kind:6s} {costs[kind]}", flush=True)
        finally:
            await live.close()
    return costs


def run_costs(url: str, pid: int, actions: int = 60, model: str = MODELS[0]) -> dict[str, Any]:
    """Server CPU per action of each kind: one visitor on an otherwise idle server, each kind
    ``actions`` times, 50 ms apart, after a warm-up that fills the caches."""
    check_loopback(url)
    return _run_async(_action_costs(url, pid, actions, model))


# --- a just-ready server (--fresh-ready) --------------------------------------------------

def burst_split(samples: list[Sample], t0: float, opened_at: list[float]) -> dict[str, Any]:
    """A burst's actions split at the moment the last page open ended: those sent while
    other visitors' pages were still opening (each open a full script run of a new session
    on the same interpreter) and those sent after."""
    last_open = max(opened_at, default=t0)
    actions = [s for s in samples if s.kind != "decode"]
    part = [[s for s in actions if s.sent < last_open], [s for s in actions if s.sent >= last_open]]
    return {"last_open_s": round(last_open - t0, 2),
            "while_pages_open": {"actions": len(part[0]), **_latency(part[0])},
            "after_pages_open": {"actions": len(part[1]), **_latency(part[1])}}


async def _fresh_burst(url: str, visitors: int, seconds: float, think_s: float, pid: int | None,
                       models: list[str], plan: tuple[tuple[str, int], ...]) -> dict[str, Any]:
    shared, tasks, t0 = Shared(), [], time.perf_counter()
    await _add_visitors(url, shared, tasks, visitors, think_s, 0, models, plan, gap=0)
    row = {"visitors": visitors, **await _measured(shared, seconds, pid)}
    opens = shared.opens_ms
    row.update({"opened": len(opens), "open_p50_ms": pct(opens, 0.5),
                "open_p95_ms": pct(opens, 0.95), "open_p99_ms": pct(opens, 0.99),
                "open_max_ms": round(max(opens), 1) if opens else None,
                "open_errors": shared.open_errors,
                "split": burst_split(_window(shared, t0, time.perf_counter()), t0,
                                     shared.opened_at)})
    await _stop(shared, tasks)
    return row


def run_fresh_ready(url: str, visitors: int, seconds: float, think_s: float = 2.0,
                    pid: int | None = None, models: list[str] | None = None,
                    plan: str = "generator") -> dict[str, Any]:
    """``visitors`` visitors start at once on the just-ready server at ``url`` (no warm-up
    by this tool) and act for ``seconds``; every action and page open in that window."""
    check_loopback(url)
    row = _run_async(_fresh_burst(url, visitors, seconds, think_s, pid, list(models or MODELS),
                                  PLANS[plan]))
    row["plan"] = plan
    row["met"] = bool(row["p95_ms"] is not None and row["p95_ms"] <= P95_TARGET_MS
                      and row["p99_ms"] <= P99_TARGET_MS and not row["errors"]
                      and not row["mixups"] and not row["open_errors"])
    split = row["split"]
    print(f"  fresh-ready {plan}: " + _row_line(row)
          + f"  opens p95 {row['open_p95_ms']} ms; last open at {split['last_open_s']} s; "
          f"actions while pages open {split['while_pages_open']}, "
          f"after {split['after_pages_open']}", flush=True)
    return row


# --- a flood of live sockets (--flood) ------------------------------------------------------

@dataclass
class Flood:
    """What the flooding client saw."""

    tried: int = 0
    open_failed: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # "code reason" -> sockets
    sent: int = 0
    answers: int = 0
    error_frames: int = 0
    errors_seen: list[str] = field(default_factory=list)
    open_at_end: int = 0


async def _flood_socket(url: str, flood: Flood, stop: asyncio.Event, rate: float,
                        model: str, index: int) -> None:
    """One flooding socket: valid requests at ``rate`` per second until ``stop``."""
    from websockets.exceptions import ConnectionClosed

    flood.tried += 1
    try:
        live = await open_live(url, FLOOD_ADDRESS)
    except Exception:
        flood.open_failed += 1
        return
    # A small send buffer, as across a real network: what the server does not read waits
    # here, not in megabytes of loopback buffers filled with the CPU the server shares.
    sock = live.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, FLOOD_SNDBUF)
    rng = random.Random(index)

    async def receive() -> None:
        async for frame in live:
            if not isinstance(frame, str):
                flood.answers += 1
                continue
            flood.error_frames += 1
            if len(flood.errors_seen) < 3 and frame not in flood.errors_seen:
                flood.errors_seen.append(frame)

    receiver = asyncio.create_task(receive())
    seq, next_at, owed = 0, time.perf_counter(), 0.0
    try:
        while not stop.is_set() and not receiver.done():
            owed += rate * FRAME_S  # one burst per 60 Hz frame, as a page's script sends
            while owed >= 1.0:
                owed, seq = owed - 1.0, seq + 1
                await live.send(json.dumps({"seq": seq, "model": model,
                                            "digit": rng.randrange(10),
                                            "x": round(rng.uniform(-3, 3), 3),
                                            "y": round(rng.uniform(-3, 3), 3)}))
                flood.sent += 1
            next_at += FRAME_S
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    except ConnectionClosed:
        pass
    if stop.is_set() and live.close_code is None:
        flood.open_at_end += 1
    else:  # closed by the server: why
        await asyncio.wait([receiver], timeout=5)
        why = f"{live.close_code} {live.close_reason}"
        flood.refused[why] = flood.refused.get(why, 0) + 1
    receiver.cancel()
    await asyncio.gather(receiver, return_exceptions=True)
    await live.close()


def _flood_process(url: str, sockets: int, rate: float, model: str, begin: Any, end: Any,
                   started: Any, results: Any) -> None:
    """The flooding client (a process of its own): ``sockets`` sockets until ``end`` is set;
    its counts between ``begin`` and ``end`` put on ``results``."""
    async def client() -> dict[str, Any]:
        flood, stop = Flood(), asyncio.Event()
        tasks = [asyncio.create_task(_flood_socket(url, flood, stop, rate, model, i))
                 for i in range(sockets)]
        started.set()
        while not begin.is_set():
            await asyncio.sleep(0.05)
        t0, sent0, answers0, cpu0 = (time.perf_counter(), flood.sent, flood.answers,
                                     time.process_time())
        while not end.is_set():
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - t0
        cpu_pct = round(100.0 * (time.process_time() - cpu0) / seconds, 1)
        sent1, answers1 = flood.sent, flood.answers
        stop.set()
        await asyncio.wait(tasks, timeout=30)
        return {"address": FLOOD_ADDRESS, "sockets_tried": flood.tried,
                "sockets_refused": sum(flood.refused.values()), "refusals": flood.refused,
                "sockets_open_at_end": flood.open_at_end, "open_failed": flood.open_failed,
                "rate_per_socket": rate,
                "requests_sent_per_s": round((sent1 - sent0) / seconds, 1),
                "answers_per_s": round((answers1 - answers0) / seconds, 1),
                "error_frames": flood.error_frames, "error_frames_seen": flood.errors_seen,
                "flood_client_cpu_pct": cpu_pct}

    results.put(asyncio.run(client()))


async def _flood_run(url: str, visitors: int, sockets: int, seconds: float, think_s: float,
                     pid: int | None, models: list[str], rate: float) -> dict[str, Any]:
    import multiprocessing

    shared, tasks = Shared(), []
    await _add_visitors(url, shared, tasks, visitors, think_s, 0, models)
    quiet = await _measured(shared, seconds, pid)
    print("  unloaded: " + _row_line({"visitors": visitors, **quiet}), flush=True)
    # The flood runs in a process of its own: here its sends would delay the visitors.
    ctx = multiprocessing.get_context("spawn")
    begin, end, started, results = ctx.Event(), ctx.Event(), ctx.Event(), ctx.Queue()
    flooder = ctx.Process(target=_flood_process, daemon=True,
                          args=(url, sockets, rate, models[0], begin, end, started, results))
    flooder.start()
    try:
        while not started.is_set() and flooder.is_alive():
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)
        begin.set()
        loaded = await _measured(shared, seconds, pid)
        end.set()
        flood = await asyncio.to_thread(results.get, True, 60)
    finally:
        end.set()
        flooder.join(10)
        if flooder.is_alive():
            flooder.kill()
    await _stop(shared, tasks)
    print("  flooded:  " + _row_line({"visitors": visitors, **loaded}), flush=True)
    ratio = (round(loaded["p95_ms"] / quiet["p95_ms"], 2)
             if loaded["p95_ms"] and quiet["p95_ms"] else None)
    print(f"  flood: {flood}; visitors' p95 x{ratio}", flush=True)
    return {"visitors": visitors, "unloaded": quiet, "flooded": loaded, "p95_ratio": ratio,
            "met": ratio is not None and ratio <= FLOOD_RATIO_TARGET and not loaded["errors"]
            and not loaded["mixups"], "flood": flood}


def run_flood(url: str, visitors: int = 20, sockets: int = 100, seconds: float = 30.0,
              think_s: float = 2.0, pid: int | None = None, models: list[str] | None = None,
              rate: float | None = None) -> dict[str, Any]:
    """``visitors`` visitors (each from its own address) measured for ``seconds`` alone, then
    while one client (`FLOOD_ADDRESS`, its own process) tries ``sockets`` live sockets, each
    sending valid requests at ``rate`` (default: the per-connection cap) per second."""
    from cvae.live.protocol import RATE_PER_S

    check_loopback(url)
    return _run_async(_flood_run(url, visitors, sockets, seconds, think_s, pid,
                                 list(models or MODELS), rate or RATE_PER_S))


# --- the command ------------------------------------------------------------------------------

# ramp and soak: the old server (a full GC after every run, each request decoded on its own),
# the GC fix only, and as shipped (GC fix and the batching core).
CONFIGS = ("CVAE_BATCHING=0 --runner.postScriptGC true", "CVAE_BATCHING=0", "")
# --fresh-ready: as shipped (warm before ready), and the warm-up off (as before).
FRESH_CONFIGS = ("", "CVAE_WARM=0")
# --flood: as shipped, and with the per-address cap and budget lifted (as before).
FLOOD_CONFIGS = ("", "CVAE_LIVE_SOCKETS_PER_CLIENT=1000 CVAE_LIVE_DECODES_PER_CLIENT=1000000 "
                 "CVAE_LIVE_MESSAGES_PER_CLIENT=1000000")
# mode -> (default configurations, results file, server waited ready)
MODES = {"ramp": (CONFIGS, "capacity.json", False), "soak": (CONFIGS, "capacity_soak.json", False),
         "fresh-ready": (FRESH_CONFIGS, "capacity_fresh_ready.json", True),
         "flood": (FLOOD_CONFIGS, "capacity_flood.json", True)}


def _with_server(config: str, fn: Any, ready: bool = False) -> dict[str, Any]:
    """``fn(base_url, pid)`` against a fresh server started with ``config``
    (`benchmarks.common.config_server`); with ``ready`` waited ready, its start -> health
    and start -> ready seconds added to the result."""
    with config_server(config, ready) as (base, pid, times):
        if ready:
            print(f"  {times}", flush=True)
        return {**times, **fn(base, pid)} if ready else fn(base, pid)


OPTIONS = (  # (flags, add_argument keywords)
    (("--url",), {"help": "target a running server (loopback only)"}),
    (("--pid",), {"type": int, "help": "with --url: the server pid for RSS/CPU"}),
    (("--config",), {"action": "append", "metavar": "FLAGS", "help": "NAME=value settings and "
                     "streamlit flags of one server; repeat to compare (default: MODES)"}),
    (("--steps",), {"type": int, "nargs": "+", "help": "ramp: visitor counts"}),
    (("--step-seconds",), {"type": float, "help": "measured seconds per step or window"}),
    (("--think",), {"type": float, "default": 2.0, "help": "mean think time, s"}),
    (("--quick",), {"action": "store_true", "help": "fewer, shorter steps (minutes)"}),
    (("--sessions",), {"type": int, "default": 1000, "help": "--soak: sessions served"}),
    (("--costs",), {"action": "store_true", "help": "ramp: also server CPU per action kind"}),
    (("--plan",), {"choices": [*PLANS, "both"], "default": "both",
                   "help": "--fresh-ready: the generator (drags too), reruns alone, or both"}),
    (("--visitors",), {"type": int, "help": "--fresh-ready (100) / --flood (20) visitors"}),
    (("--flood-sockets",), {"type": int, "default": 100, "help": "--flood: sockets"}),
    (("--out",), {"type": Path, "help": "results file (default: MODES)"}),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flags, kwargs in OPTIONS:
        parser.add_argument(*flags, **kwargs)
    modes = parser.add_mutually_exclusive_group()
    for name in ("soak", "fresh-ready", "flood"):
        modes.add_argument(f"--{name}", action="store_const", dest="mode", const=name,
                           default="ramp", help="see docs/capacity.md")
    args = parser.parse_args(argv)
    default_configs, results_file, ready = MODES[args.mode]
    steps = args.steps or list(QUICK_STEPS if args.quick else STEPS)
    seconds = args.step_seconds or (20.0 if args.quick else 60.0)
    visitors = args.visitors or (100 if args.mode == "fresh-ready" else 20)
    if (max(steps) > 400 or visitors > 400 or seconds > 600 or args.sessions > 5000
            or args.flood_sockets > 400):
        parser.error("bounded: at most 400 visitors, 400 flood sockets, 600 s per step, "
                     "5000 soak sessions")
    if args.url and args.mode == "fresh-ready":
        parser.error("--fresh-ready starts its own fresh servers: no --url")
    if args.costs and args.url and args.pid is None:
        parser.error("--costs measures the server's CPU: give --pid with --url")

    def measure(base: str, pid: int | None) -> dict[str, Any]:
        if args.mode == "soak":
            return run_soak(base, args.sessions, pid=pid, probe_s=10.0 if args.quick else 30.0)
        if args.mode == "flood":
            return run_flood(base, visitors, args.flood_sockets, seconds, args.think, pid)
        costs = {"action_costs": run_costs(base, pid)} if args.costs and pid else {}
        return {**costs, **run_capacity(base, steps, seconds, args.think, pid)}

    def fresh(config: str) -> dict[str, Any]:  # a fresh server per plan
        return {plan: _with_server(config, lambda b, p, plan=plan: run_fresh_ready(
            b, visitors, seconds, args.think, p, plan=plan), ready=True)
            for plan in PLANS if args.plan in (plan, "both")}

    report: dict[str, Any] = {"mode": args.mode, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "think_s": args.think,
                              "window_seconds" if ready else "step_seconds": seconds,
                              **({"visitors": visitors} if ready else {}),
                              "background_load": background_load(), "configs": {}}
    if args.url:
        check_loopback(args.url)
        print(f"target {args.url}", flush=True)
        report["configs"]["external"] = measure(args.url, args.pid)
    for config in [] if args.url else (args.config or list(default_configs)):
        print(f"config {config or 'default'!r}", flush=True)
        report["configs"][config or "default"] = (
            fresh(config) if args.mode == "fresh-ready" else _with_server(config, measure, ready))
    report["background_load_end"] = background_load()
    write_results(args.out or RESULTS / results_file, report)
    summary = ("max_visitors_p95_300ms", "sessions", "reruns", "sessions_seconds",
               "session_failures", "exceptions", "p50_creep", "rss_mb_before", "rss_mb_after",
               "peak_rss_mb", "traces_before", "traces_after", "p95_ratio")
    for config, res in report["configs"].items():  # (fresh-ready printed its rows)
        if args.mode != "fresh-ready":
            print(f"{config}: {({k: res[k] for k in summary if k in res})}")

if __name__ == "__main__":
    main()
