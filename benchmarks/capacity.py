"""Capacity: how many simulated visitors one app server holds, without browsers.

``python -m benchmarks.capacity [--quick] [--soak | --fresh-ready | --flood] [--config FLAGS]``
starts ``streamlit run app.py`` on a free loopback port per configuration (or targets
``--url``, loopback only) and ramps visitors that speak Streamlit's own WebSocket protocol
(`harness.st_protocol`). Each visitor opens ``/?model=...&digit=...``, waits for the first
run, then acts every ``--think`` s (± 50 %): latent slider steps (fragment reruns), drags on
the latent map (one position per frame over the live decode channel, ``/cvae/live``, as the
map sends them, then the release's rerun), class changes, grid-size changes, the odd model
switch. Every answer is checked against the visitor's own state (a mismatch counts as a
cross-session mix-up). An action's latency is sent -> ``script_finished``; a drag's decodes
are reported apart (request sent -> its decode received) and do not count as actions.
Visitors accumulate over the steps; each step is measured for a fixed window. Writes
benchmarks/results/capacity.json. ``--soak``: creep, RSS growth and TensorFlow retracing
after ``--sessions`` short sessions (capacity_soak.json); ``--fresh-ready`` and ``--flood``:
see `run_fresh_ready` and `run_flood`; ``--costs``: server CPU per action kind.
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

STEPS = (10, 20, 40, 70, 100, 140)
QUICK_STEPS = (10, 20, 40, 70, 100)
MODELS = ("class-prior-2d", "mlp-20d", "tfp-16d")
# (action, weight): mostly latent moves, sometimes class / grid, rarely a model switch.
PLAN = (("step", 55), ("drag", 20), ("digit", 12), ("grid", 8), ("model", 5))
DRAG_FRAMES = (20, 40)  # positions per drag on the map, one per 60 Hz frame (1/3 to 2/3 s)
FRAME_S = 1 / 60
IN_FLIGHT = 8  # as the map's transport.js: at most 8 unanswered, the newest waits
P95_TARGET_MS = 300.0


@dataclass
class Sample:
    """One completed (or failed) action."""

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


def _caption_point(result: RunResult) -> str | None:
    for caption in result.captions:
        if caption.startswith(("p(x | z) at (", "p(x | z, y) at (")):
            return caption
    return None


def _run_async(coro: Any) -> Any:
    """``asyncio.run(coro)``, in a thread of its own when this thread already runs an event
    loop (e.g. one left running by Streamlit's AppTest in a test session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _map_point(result: RunResult) -> tuple[float, float] | None:
    """The point the latent map was sent (its JSON data's ``point``), if a map was sent."""
    for raw in result.components:
        try:
            point = json.loads(raw).get("point")
        except (ValueError, AttributeError):
            continue
        if isinstance(point, list) and len(point) == 2:
            return float(point[0]), float(point[1])
    return None


def check_step(session: StSession, result: RunResult) -> bool:
    """True when a latent move's answer shows this session's own (z1, z2): in the decoded
    digit's caption (page without the map) or in the point sent to the latent map."""
    z1, z2 = session.widget("z1").value[0], session.widget("z2").value[0]
    caption = _caption_point(result)
    if caption is not None:
        return caption.startswith((f"p(x | z) at ({z1:.2f}, {z2:.2f})",
                                   f"p(x | z, y) at ({z1:.2f}, {z2:.2f})"))
    point = _map_point(result)
    return point is not None and (round(point[0], 2), round(point[1], 2)) == (
        round(z1, 2), round(z2, 2))


def check_widget(session: StSession, result: RunResult, key: str, value: Any) -> bool:
    """True when the run re-sent widget ``key`` with this session's value."""
    widget = result.widgets.get(key)
    return widget is not None and widget.value == value


async def _act(session: StSession, rng: random.Random, kind: str) -> tuple[RunResult, bool]:
    """Perform one action; return the run's result and whether it showed our own state."""
    if kind == "step":
        w = session.widget(rng.choice(("z1", "z2")))
        lo, hi = w.bounds
        delta = rng.choice((-0.05, 0.05))
        new = round(w.value[0] + delta, 2)
        if not lo <= new <= hi:
            new = round(w.value[0] - delta, 2)
        w.value = [new]
        result = await session.run(w.fragment_id)
        return result, check_step(session, result)
    if kind == "digit":
        w = session.widget("digit")
        w.value = rng.choice([o for o in w.options if o != w.value])
        result = await session.run(w.fragment_id)
        # A class change reruns only the panels that show the class (not the radio itself).
        ok = check_step(session, result) and any(
            f"offset by the class-{w.value} " in c for c in result.captions)
        return result, ok
    if kind == "grid":
        w = session.widget("n")
        lo, hi = w.bounds
        new = w.value[0] + rng.choice((-1.0, 1.0))
        w.value = [min(hi, max(lo, new))]
        result = await session.run(w.fragment_id)
        n = int(w.value[0])
        ok = check_widget(session, result, "n", w.value) and any(
            c.startswith(f"{n}×{n} codes") for c in result.captions)
        return result, ok
    if kind == "model":
        w = session.widget("model")
        w.value = rng.choice([o for o in w.options if o != w.value])
        result = await session.run(w.fragment_id)
        return result, check_widget(session, result, "model", w.value)
    raise ValueError(kind)


async def visitor(base_url: str, index: int, shared: Shared, think_s: float, seed: int,
                  models: list[str], plan: tuple[tuple[str, int], ...] = PLAN) -> None:
    """One simulated visitor: open the page, then act on a think time until told to stop."""
    rng = random.Random(seed * 1000 + index)
    query = f"model={models[index % len(models)]}&digit={index % 10}"
    kinds, weights = zip(*plan, strict=True)
    live = None
    try:
        async with StSession(base_url, query) as session:
            start = time.perf_counter()
            first = await session.run(timeout=300)
            shared.opened_at.append(time.perf_counter())
            shared.opens_ms.append((shared.opened_at[-1] - start) * 1000.0)
            if first.exceptions:
                shared.errors.append(f"open: {first.exceptions[0]}")
            while not shared.stop.is_set():
                pause = think_s * rng.uniform(0.5, 1.5)
                try:
                    await asyncio.wait_for(shared.stop.wait(), pause)
                    break
                except TimeoutError:
                    pass
                kind = rng.choices(kinds, weights)[0]
                if kind == "drag":  # live decodes while dragging, then the release's rerun
                    if live is None:
                        live = await open_live(base_url, visitor_address(index))
                    await _drag(live, session, rng, shared)
                    kind = "release"
                sent = time.perf_counter()
                try:
                    result, own = await _act(session, rng,
                                             "step" if kind == "release" else kind)
                except (ProtocolFailure, OSError, TimeoutError, KeyError) as exc:
                    shared.samples.append(Sample(kind, sent, float("nan"), 0, False))
                    shared.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
                    return
                latency = (time.perf_counter() - sent) * 1000.0
                ok = not result.exceptions
                if not ok:
                    shared.errors.append(f"{kind}: {result.exceptions[0]}"[:200])
                shared.samples.append(Sample(kind, sent, latency, result.nbytes, ok,
                                             mixup=ok and not own))
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
    """Visitor ``index``'s own loopback source address (127.0.1.1, 127.0.1.2, ...): the
    server caps live sockets and shares decodes per client address, and browsers on the
    internet come from many addresses (Linux routes all of 127/8 to loopback)."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


async def open_live(base_url: str, address: str | None = None, **kwargs: Any) -> Any:
    """The live channel as the page's browser opens it: with the page's ``Origin`` (the
    server refuses other origins), from loopback source ``address`` when given."""
    import websockets

    page = urlsplit(base_url)
    extra = {"local_addr": (address, 0)} if address else {}
    return await websockets.connect(live_url(base_url), open_timeout=10,
                                    origin=f"{page.scheme}://{page.netloc}", **extra, **kwargs)


async def _drag(live: Any, session: StSession, rng: random.Random, shared: Shared) -> None:
    """A drag on the latent map as the browser makes it: one position per animation frame
    on a small arc around the current point, sent over the live channel with at most
    `IN_FLIGHT` unanswered (the newest position waits, older ones are skipped); each
    answer is checked to be the decode of the position it answers (seq, x and y echoed)
    and recorded as a ``decode`` sample, its latency from the request's send."""
    model = str(session.widget("model").value)
    digit = int(session.widget("digit").value)
    x0, y0 = session.widget("z1").value[0], session.widget("z2").value[0]
    frames = rng.randint(*DRAG_FRAMES)
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

    receiver: asyncio.Task | None = None
    for i in range(frames):
        a = 2 * math.pi * i / 120
        x, y = round(x0 + math.cos(a) - 1, 3), round(y0 + math.sin(a), 3)
        if state["seq"] - state["acked"] < IN_FLIGHT:  # else this frame's position is skipped
            state["seq"] += 1
            sent[state["seq"]] = (time.perf_counter(), x, y)
            await live.send(json.dumps({"seq": state["seq"], "model": model, "digit": digit,
                                        "x": x, "y": y}))
            if receiver is None:
                receiver = asyncio.create_task(receive())
        await asyncio.sleep(FRAME_S)
    deadline = time.perf_counter() + 10.0
    while state["acked"] < state["seq"] and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    if receiver is not None:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)
        if state["acked"] < state["seq"]:
            shared.errors.append("decode: answers missing 10 s after the drag")


def _summary(samples: list[Sample], seconds: float) -> dict[str, Any]:
    decodes = [s for s in samples if s.kind == "decode"]
    samples = [s for s in samples if s.kind != "decode"]
    done = [s for s in samples if s.ok]
    lat = [s.latency_ms for s in done]
    by_kind = {}
    for kind in sorted({s.kind for s in done}):
        k_lat = [s.latency_ms for s in done if s.kind == kind]
        by_kind[kind] = {"n": len(k_lat), "p50_ms": pct(k_lat, 0.5), "p95_ms": pct(k_lat, 0.95)}
    d_lat = [s.latency_ms for s in decodes if s.ok]
    return {
        "actions": len(samples), "actions_per_s": round(len(done) / seconds, 2),
        "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95), "p99_ms": pct(lat, 0.99),
        "errors": sum(not s.ok for s in samples) + sum(not s.ok for s in decodes),
        "mixups": sum(s.mixup for s in samples) + sum(s.mixup for s in decodes),
        "kb_per_action": round(statistics.fmean(s.nbytes for s in done) / 1024, 1)
        if done else None,
        "by_kind": by_kind,
        "live_decodes": {"per_s": round(len(d_lat) / seconds, 1), "p50_ms": pct(d_lat, 0.5),
                         "p95_ms": pct(d_lat, 0.95)},
    }


def _proc_sample(pid: int | None) -> tuple[float, float] | None:
    if pid is None:
        return None
    try:
        return time.monotonic(), cpu_seconds(pid)
    except OSError:
        return None


def _window(shared: Shared, t0: float, t1: float) -> list[Sample]:
    """The samples sent in [t0, t1] that finished by t1 (or failed)."""
    return [s for s in shared.samples
            if t0 <= s.sent <= t1 and (not s.ok or s.sent + s.latency_ms / 1e3 <= t1)]


async def _measured(shared: Shared, seconds: float, pid: int | None) -> dict[str, Any]:
    """Sleep ``seconds`` and summarise what the visitors did meanwhile (and the server)."""
    cpu0, ticks0, own0 = _proc_sample(pid), machine_cpu_ticks(), time.process_time()
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    cpu1 = _proc_sample(pid)
    row = {"seconds": round(t1 - t0, 1), **_summary(_window(shared, t0, t1), t1 - t0),
           "client_cpu_pct": round(100.0 * (time.process_time() - own0) / (t1 - t0), 1),
           "loadavg_1m": float(Path("/proc/loadavg").read_text().split()[0]),
           **machine_cpu_share(ticks0, machine_cpu_ticks()), "errors_sample": shared.errors[-3:]}
    if pid is not None and cpu0 and cpu1:
        row["server_cpu_pct"] = round(100.0 * (cpu1[1] - cpu0[1]) / (cpu1[0] - cpu0[0]), 1)
        row["server_rss_mb"] = round(rss_mb(pid)["rss_mb"], 1)
        row["server_threads"] = thread_count(pid)
    return row


async def _stop(shared: Shared, tasks: list[asyncio.Task]) -> None:
    shared.stop.set()
    await asyncio.wait(tasks, timeout=60)
    for task in tasks:
        task.cancel()


async def _run_steps(url: str, steps: list[int], step_s: float, think_s: float, pid: int | None,
                     seed: int, models: list[str]) -> list[dict[str, Any]]:
    shared = Shared()
    tasks: list[asyncio.Task] = []
    rows = []
    for target in steps:
        opened = len(shared.opens_ms)
        while len(tasks) < target:  # add visitors gradually (browsers do not arrive at once)
            tasks.append(asyncio.create_task(
                visitor(url, len(tasks), shared, think_s, seed, models)))
            await asyncio.sleep(0.05)
        ramp_deadline = time.monotonic() + 300
        while (len(shared.opens_ms) + shared.open_errors < target
               and time.monotonic() < ramp_deadline):
            await asyncio.sleep(0.2)
        await asyncio.sleep(min(2.0, think_s))  # let the opening burst drain
        row = {"visitors": target, **await _measured(shared, step_s, pid),
               "open_p50_ms": pct(shared.opens_ms[opened:], 0.5),
               "open_errors": shared.open_errors}
        rows.append(row)
        print(_row_line(row), flush=True)
    await _stop(shared, tasks)
    return rows


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
    """Load every model a visitor can open or switch to, and fill the server's caches for
    the visitors' models, once, outside any measured window (a model's first load is a
    start-up cost, measured by the start-up benchmark, not a visitor's action)."""
    rng = random.Random(0)
    switchable: list[str] = []
    for name in models:
        async with StSession(url, f"model={name}&digit=0") as session:
            await session.run(timeout=300)
            switchable = [str(m) for m in session.widget("model").options]
            for kind in ("step", "digit", "grid"):
                await _act(session, rng, kind)
    for name in switchable:
        if name not in models:
            async with StSession(url, f"model={name}&digit=0") as session:
                await session.run(timeout=300)


async def live_route(url: str) -> bool:
    """Whether the server accepts the live decode WebSocket at ``/cvae/live``."""
    try:
        live = await open_live(url)
    except Exception:
        return False
    await live.close()
    return True


def run_capacity(url: str, visitors_steps: list[int], step_seconds: float,
                 think_s: float = 2.0, pid: int | None = None, seed: int = 0,
                 models: list[str] | None = None, warm: bool = True) -> dict[str, Any]:
    """Ramp visitors against a running server at ``url`` (loopback only); per-step figures
    and ``max_visitors_p95_300ms``. ``pid`` adds the server's RSS and CPU."""
    check_loopback(url)
    names = list(models or MODELS)
    if warm:
        _run_async(warm_up(url, names))
    if not _run_async(live_route(url)):
        raise ProtocolFailure(f"{live_url(url)} does not accept the live decode channel")
    rows = _run_async(_run_steps(url, list(visitors_steps), step_seconds, think_s, pid, seed,
                                  names))
    return {"steps": rows, "max_visitors_p95_300ms": max_visitors(rows),
            "drags": "live channel decodes, then one rerun on release"}


async def _short_sessions(url: str, count: int, concurrency: int, models: list[str],
                         pid: int | None) -> dict[str, Any]:
    """Serve ``count`` short sessions, ``concurrency`` at a time: open, three latent steps,
    a class change (a full rerun of the class's panels), close. Failed sessions, reruns
    done, exceptions shown and the server's RSS after every 100 sessions."""
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


async def serving_traces(url: str, model: str) -> int:
    """How many times the server's compiled graphs of ``model`` have been traced, as its
    model card reports it (a runtime figure of the server process: no route carries it)."""
    async with StSession(url, f"model={model}") as session:
        result = await session.run(timeout=300)
    line = next(t for t in result.texts if "compiled graphs, traced " in t)
    return int(line.split("compiled graphs, traced ", 1)[1].split()[0])


def run_soak(url: str, sessions: int = 1000, probe_visitors: int = 10, probe_s: float = 30.0,
             pid: int | None = None, models: list[str] | None = None) -> dict[str, Any]:
    """Creep after many sessions: p50 of ``probe_visitors`` on a fresh server, then
    ``sessions`` short sessions (`_short_sessions`), then the probe again; the server's RSS
    (with ``pid``) and its models' TensorFlow trace counts before and after the sessions."""
    check_loopback(url)
    names = list(models or MODELS)
    before = run_capacity(url, [probe_visitors], probe_s, pid=pid, seed=1, models=names)
    traces0 = {name: _run_async(serving_traces(url, name)) for name in names}
    rss0 = rss_mb(pid) if pid else None
    start = time.perf_counter()
    served = _run_async(_short_sessions(url, sessions, 20, names, pid))
    served_s = time.perf_counter() - start
    traces1 = {name: _run_async(serving_traces(url, name)) for name in names}
    rss1 = rss_mb(pid) if pid else None
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


async def _action_costs(url: str, pid: int, actions: int, model: str) -> dict[str, Any]:
    rng = random.Random(3)
    costs: dict[str, Any] = {}
    async with StSession(url, f"model={model}&digit=3") as session:
        await session.run(timeout=300)
        live = await open_live(url)
        try:
            for kind in ("step", "drag", "digit", "grid", "model"):
                async def act(kind: str = kind) -> None:
                    if kind == "drag":
                        await _drag(live, session, rng, Shared())
                        await _act(session, rng, "step")  # the release's rerun
                    else:
                        await _act(session, rng, kind)
                for _ in range(20):  # every class, grid size and model seen once: warm caches
                    await act()
                lat = []
                cpu0 = cpu_seconds(pid)
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
    """Server CPU time per action of each kind: one visitor on an otherwise idle server, each
    kind ``actions`` times (after a warm-up that fills the caches), 50 ms apart. What a
    visitor's mix costs the server, which is what bounds the visitors one process holds."""
    check_loopback(url)
    return _run_async(_action_costs(url, pid, actions, model))


# --- a just-ready server, and a flood ---------------------------------------------------------

RERUNS_PLAN = tuple((kind, weight) for kind, weight in PLAN if kind != "drag")
PLANS = {"generator": PLAN, "reruns": RERUNS_PLAN}
FLOOD_ADDRESS = "127.255.0.1"  # one client, apart from every visitor's address
FLOOD_SNDBUF = 16 * 1024  # bytes of send buffer per flooding socket
P99_TARGET_MS = 1000.0
FLOOD_RATIO_TARGET = 2.0


async def _fresh_burst(url: str, visitors: int, seconds: float, think_s: float, pid: int | None,
                       models: list[str], plan: tuple[tuple[str, int], ...]) -> dict[str, Any]:
    shared = Shared()
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(visitor(url, i, shared, think_s, 0, models, plan))
             for i in range(visitors)]  # all at once
    row = {"visitors": visitors, **await _measured(shared, seconds, pid)}
    t1 = time.perf_counter()
    opens = shared.opens_ms
    row.update({"opened": len(opens), "open_p50_ms": pct(opens, 0.5),
                "open_p95_ms": pct(opens, 0.95), "open_p99_ms": pct(opens, 0.99),
                "open_max_ms": round(max(opens), 1) if opens else None,
                "open_errors": shared.open_errors,
                "split": burst_split(_window(shared, t0, t1), t0, shared.opened_at)})
    await _stop(shared, tasks)
    return row


def burst_split(samples: list[Sample], t0: float, opened_at: list[float]) -> dict[str, Any]:
    """The actions of a burst of visitors split at the moment the last page open ended:
    those sent while other visitors' pages were still opening (every open is a full script
    run of a new session, competing for the same interpreter) and those sent after."""
    last_open = max(opened_at, default=t0)
    actions = [s for s in samples if s.kind != "decode"]

    def part(chosen: list[Sample]) -> dict[str, Any]:
        lat = [s.latency_ms for s in chosen if s.ok]
        return {"actions": len(chosen), "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95),
                "p99_ms": pct(lat, 0.99)}

    return {"last_open_s": round(last_open - t0, 2),
            "while_pages_open": part([s for s in actions if s.sent < last_open]),
            "after_pages_open": part([s for s in actions if s.sent >= last_open])}


def run_fresh_ready(url: str, visitors: int, seconds: float, think_s: float = 2.0,
                    pid: int | None = None, models: list[str] | None = None,
                    plan: str = "generator") -> dict[str, Any]:
    """``visitors`` visitors start at once on the server at ``url`` (just ready: no warm-up
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


@dataclass
class Flood:
    """What one flooding client saw."""

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
    # here (TCP back-pressure) instead of megabytes of loopback buffers filling at the cost
    # of this machine's CPU, which the server shares with this client.
    sock = live.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, FLOOD_SNDBUF)
    rng = random.Random(index)

    async def receive() -> None:
        async for frame in live:
            if isinstance(frame, str):
                flood.error_frames += 1
                if len(flood.errors_seen) < 3 and frame not in flood.errors_seen:
                    flood.errors_seen.append(frame)
            else:
                flood.answers += 1

    receiver = asyncio.create_task(receive())
    seq, next_at, owed = 0, time.perf_counter(), 0.0
    try:
        while not stop.is_set() and not receiver.done():
            owed += rate * FRAME_S  # one burst per 60 Hz frame, as a page's script sends
            while owed >= 1.0:
                owed -= 1.0
                seq += 1
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


async def _flood_client(url: str, sockets: int, rate: float, model: str, begin: Any, end: Any,
                        started: Any) -> dict[str, Any]:
    """The flooding client (its own process): ``sockets`` sockets until ``end`` is set;
    the counts between ``begin`` and ``end``."""
    flood, stop = Flood(), asyncio.Event()
    tasks = [asyncio.create_task(_flood_socket(url, flood, stop, rate, model, i))
             for i in range(sockets)]
    started.set()
    while not begin.is_set():
        await asyncio.sleep(0.05)
    t0, sent0, answers0 = time.perf_counter(), flood.sent, flood.answers
    cpu0 = time.process_time()
    while not end.is_set():
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - t0
    cpu_pct = round(100.0 * (time.process_time() - cpu0) / seconds, 1)
    sent1, answers1 = flood.sent, flood.answers
    stop.set()
    await asyncio.wait(tasks, timeout=30)
    refused = sum(flood.refused.values())
    return {"address": FLOOD_ADDRESS, "sockets_tried": flood.tried,
            "sockets_refused": refused, "refusals": flood.refused,
            "sockets_open_at_end": flood.open_at_end, "open_failed": flood.open_failed,
            "rate_per_socket": rate,
            "requests_sent_per_s": round((sent1 - sent0) / seconds, 1),
            "answers_per_s": round((answers1 - answers0) / seconds, 1),
            "error_frames": flood.error_frames, "error_frames_seen": flood.errors_seen,
            "flood_client_cpu_pct": cpu_pct}


def _flood_process(url: str, sockets: int, rate: float, model: str, begin: Any, end: Any,
                   started: Any, results: Any) -> None:
    results.put(asyncio.run(_flood_client(url, sockets, rate, model, begin, end, started)))


async def _flood_run(url: str, visitors: int, sockets: int, seconds: float, think_s: float,
                     pid: int | None, models: list[str], rate: float) -> dict[str, Any]:
    import multiprocessing

    shared = Shared()
    tasks = []
    for i in range(visitors):
        tasks.append(asyncio.create_task(visitor(url, i, shared, think_s, 0, models)))
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 300
    while len(shared.opens_ms) + shared.open_errors < visitors and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(min(2.0, think_s))
    quiet = await _measured(shared, seconds, pid)
    print("  unloaded: " + _row_line({"visitors": visitors, **quiet}),
          flush=True)
    # The flood runs in a process of its own: in this one its sends would delay the
    # visitors' own event loop, not the server.
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
    print("  flooded:  " + _row_line({"visitors": visitors, **loaded}),
          flush=True)
    ratio = (round(loaded["p95_ms"] / quiet["p95_ms"], 2)
             if loaded["p95_ms"] and quiet["p95_ms"] else None)
    print(f"  flood: {flood}; visitors' p95 x{ratio}", flush=True)
    return {"visitors": visitors, "unloaded": quiet, "flooded": loaded, "p95_ratio": ratio,
            "met": ratio is not None and ratio <= FLOOD_RATIO_TARGET and not loaded["errors"]
            and not loaded["mixups"], "flood": flood}


def run_flood(url: str, visitors: int = 20, sockets: int = 100, seconds: float = 30.0,
              think_s: float = 2.0, pid: int | None = None, models: list[str] | None = None,
              rate: float | None = None) -> dict[str, Any]:
    """``visitors`` ordinary visitors (each from its own address) measured for ``seconds``
    alone, then again while one client (`FLOOD_ADDRESS`, its own process) tries ``sockets``
    live sockets, each sending valid requests at ``rate`` (default: the per-connection
    cap) per second."""
    from cvae.live.protocol import RATE_PER_S

    check_loopback(url)
    return _run_async(_flood_run(url, visitors, sockets, seconds, think_s, pid,
                                 list(models or MODELS), rate or RATE_PER_S))


# Three servers: the old one (a full GC after every run, each request decoded on its own),
# with the GC fix only, and as shipped (GC fix and the batching core).
CONFIGS = ("CVAE_BATCHING=0 --runner.postScriptGC true", "CVAE_BATCHING=0", "")
# --fresh-ready: as shipped (warm before ready), and the warm-up switched off (as before).
FRESH_CONFIGS = ("", "CVAE_WARM=0")
# --flood: as shipped, and with the per-address cap and budget lifted (as before).
FLOOD_CONFIGS = ("", "CVAE_LIVE_SOCKETS_PER_CLIENT=1000 CVAE_LIVE_DECODES_PER_CLIENT=1000000 "
                 "CVAE_LIVE_MESSAGES_PER_CLIENT=1000000")
# mode -> (default configurations, results file, wait for readiness)
MODES = {"ramp": (CONFIGS, "capacity.json", False), "soak": (CONFIGS, "capacity_soak.json", False),
         "fresh-ready": (FRESH_CONFIGS, "capacity_fresh_ready.json", True),
         "flood": (FLOOD_CONFIGS, "capacity_flood.json", True)}


def _with_server(config: str, fn: Any, ready: bool = False) -> dict[str, Any]:
    """``fn(base_url, pid)`` against a fresh server started with ``config``
    (`benchmarks.common.config_server`); with ``ready``, waited ready, and its start ->
    health and start -> ready seconds added to the result."""
    with config_server(config, ready) as (base, pid, times):
        if not ready:
            return fn(base, pid)
        print(f"  {times}", flush=True)
        return {**times, **fn(base, pid)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="target a running server (loopback only)")
    parser.add_argument("--pid", type=int, help="with --url: the server pid for RSS/CPU")
    parser.add_argument("--config", action="append", default=None, metavar="FLAGS",
                        help="one server configuration: NAME=value environment settings and "
                             "streamlit flags; repeat to compare (default: see MODES)")
    parser.add_argument("--steps", type=int, nargs="+", help="visitor counts to ramp through")
    parser.add_argument("--step-seconds", type=float,
                        help="measured seconds per step (or window)")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time, s")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter steps (minutes)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--soak", action="store_true",
                      help="creep, memory and retracing after many short sessions")
    mode.add_argument("--fresh-ready", action="store_true",
                      help="per config and plan (generator, reruns): a fresh server, "
                           "waited ready, then --visitors (100) visitors at once")
    mode.add_argument("--flood", action="store_true",
                      help="--visitors (20) visitors alone, then beside one client trying "
                           "--flood-sockets live sockets at the per-socket rate")
    parser.add_argument("--sessions", type=int, default=1000, help="--soak: sessions served")
    parser.add_argument("--costs", action="store_true",
                        help="also measure the server CPU per action of each kind")
    parser.add_argument("--plan", choices=[*PLANS, "both"], default="both",
                        help="--fresh-ready: the generator (with drags), reruns alone, or both")
    parser.add_argument("--visitors", type=int, help="--fresh-ready / --flood visitors")
    parser.add_argument("--flood-sockets", type=int, default=100, help="--flood: sockets")
    parser.add_argument("--out", type=Path, help="results file (default: benchmarks/results/"
                        "capacity.json, or capacity_soak.json, capacity_fresh_ready.json, "
                        "capacity_flood.json)")
    args = parser.parse_args(argv)
    name = ("soak" if args.soak else "fresh-ready" if args.fresh_ready
            else "flood" if args.flood else "ramp")
    default_configs, results_file, ready = MODES[name]
    steps = args.steps or list(QUICK_STEPS if args.quick else STEPS)
    seconds = args.step_seconds or (20.0 if args.quick else 60.0)
    visitors = args.visitors or (100 if args.fresh_ready else 20)
    if (max(steps) > 400 or visitors > 400 or seconds > 600 or args.sessions > 5000
            or args.flood_sockets > 400):
        parser.error("bounded: at most 400 visitors, 400 flood sockets, 600 s per step, "
                     "5000 soak sessions")
    if args.url and args.fresh_ready:
        parser.error("--fresh-ready starts its own fresh servers: no --url")
    if args.costs and args.url and args.pid is None:
        parser.error("--costs measures the server's CPU: give --pid with --url")

    def measure(base: str, pid: int | None) -> dict[str, Any]:
        if args.soak:
            return run_soak(base, args.sessions, pid=pid, probe_s=10.0 if args.quick else 30.0)
        if args.flood:
            return run_flood(base, visitors, args.flood_sockets, seconds, args.think, pid)
        costs = run_costs(base, pid) if args.costs and pid is not None else None
        result = run_capacity(base, steps, seconds, args.think, pid)
        return result if costs is None else {"action_costs": costs, **result}

    report: dict[str, Any] = {"mode": name, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "think_s": args.think,
                              "window_seconds" if ready else "step_seconds": seconds,
                              "background_load": background_load(), "configs": {}}
    if ready:
        report["visitors"] = visitors
    if args.url:
        check_loopback(args.url)
        print(f"target {args.url}", flush=True)
        report["configs"]["external"] = measure(args.url, args.pid)
    for config in [] if args.url else (args.config or list(default_configs)):
        print(f"config {config or 'default'!r}", flush=True)
        report["configs"][config or "default"] = (
            {plan: _with_server(config, lambda b, p, plan=plan: run_fresh_ready(
                b, visitors, seconds, args.think, p, plan=plan), ready=True)  # one per plan
             for plan in PLANS if args.plan in (plan, "both")}
            if args.fresh_ready else _with_server(config, measure, ready))
    report["background_load_end"] = background_load()
    write_results(args.out or RESULTS / results_file, report)
    for config, res in report["configs"].items():
        if "max_visitors_p95_300ms" in res:
            print(f"{config}: max visitors at p95 <= 300 ms: {res['max_visitors_p95_300ms']}")
        if "p50_creep" in res:
            print(f"{config}: {res['sessions']} sessions, {res['reruns']} reruns in "
                  f"{res['sessions_seconds']} s, {res['session_failures']} failed, "
                  f"{res['exceptions']} exceptions; p50 x{res['p50_creep']}; RSS "
                  f"{res['rss_mb_before']} -> {res['rss_mb_after']} MB (peak "
                  f"{res['peak_rss_mb']}); traces {res['traces_before']} -> "
                  f"{res['traces_after']}")


if __name__ == "__main__":
    main()
