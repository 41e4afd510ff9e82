"""Two replicas behind nginx on loopback: session affinity, failover, and (optionally) capacity.

``python -m benchmarks.replicas [--visitors 12] [--rounds 8] [--capacity-steps 10,20,40]``

Starts two ``streamlit run app.py`` replicas and Debian's nginx with ``deploy/nginx.conf``
rendered for them (`harness.nginx.Stack`; files in a temporary folder), then checks:

1. affinity: every visitor (its own cookie jar) makes ``--rounds`` rounds of requests (the
   page, the health check, a linked view ``/?model=..&digit=..&z1=..``, an upload-endpoint
   request and the ``/_stcore/stream`` WebSocket handshake) and each must be answered by one
   replica (nginx's ``X-Served-By`` header); both replicas must get visitors;
2. a real page run through nginx per model (Streamlit's protocol, `harness.st_protocol`),
   then each replica's RSS with all models loaded;
3. failover: one replica is killed (SIGKILL) while visitors keep requesting; every request
   must still answer 200, the dead replica's visitors move to the survivor and stay there,
   and one of them re-opens its linked view as a real page run on the survivor;
4. with ``--capacity-steps``, `benchmarks.capacity.run_capacity` against one replica
   directly and against nginx with two (restarted) replicas.

Bounded (at most 50 visitors x 30 rounds, 600 s per capacity run), loopback only; everything
it starts is stopped on exit. Writes benchmarks/results/replicas.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from benchmarks.common import RESULTS, background_load, rss_mb, write_results
from harness.nginx import Stack

MODELS = ("class-prior-2d", "tutorial-2d", "tutorial-50d", "tfp-16d", "mlp-20d")


def view_query(i: int) -> str:
    return f"model={MODELS[i % len(MODELS)]}&digit={i % 10}&z1={(i % 7 - 3) / 2:.1f}"


def ws_handshake(base: str, cookies: dict[str, str]) -> str:
    """Open and close the ``/_stcore/stream`` WebSocket with the visitor's cookies; the
    replica that answered the upgrade."""
    from websockets.sync.client import connect

    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    url = base.replace("http://", "ws://", 1) + "/_stcore/stream"
    with connect(url, additional_headers={"Cookie": cookie}, subprotocols=["streamlit"],
                 open_timeout=10) as ws:
        return ws.response.headers.get("X-Served-By", "")


def visitor_round(base: str, session: requests.Session, i: int) -> list[tuple[str, int, str]]:
    """One round of a visitor's requests: (what, status, replica) for each."""
    out = []
    for what, method, path in (("page", "GET", "/"), ("health", "GET", "/_stcore/health"),
                               ("view", "GET", f"/?{view_query(i)}"),
                               ("upload", "OPTIONS", "/_stcore/upload_file/x/y")):
        r = session.request(method, base + path, timeout=30)
        if "cvae_route=" in r.headers.get("Set-Cookie", ""):
            session.route_cookies_set = getattr(session, "route_cookies_set", 0) + 1
        out.append((what, r.status_code, r.headers.get("X-Served-By", "")))
    out.append(("websocket", 101, ws_handshake(base, session.cookies.get_dict())))
    return out


def rounds_of(base: str, sessions: list[requests.Session], rounds: int,
              replica: Any = lambda served: served) -> dict[str, Any]:
    """Every session's `visitor_round`, ``rounds`` times: the replica each request reached
    (``replica`` of nginx's ``X-Served-By``) per session, and the statuses (an error is
    counted, not raised)."""
    seen: list[list[str]] = [[] for _ in sessions]
    statuses: Counter = Counter()
    for _ in range(rounds):
        for i, s in enumerate(sessions):
            try:
                for what, status, served in visitor_round(base, s, i):
                    statuses[f"{what} {status}"] += 1
                    seen[i].append(replica(served))
            except Exception as e:  # counted: the report shows it
                statuses[f"error {type(e).__name__}"] += 1
    return {"seen": seen, "statuses": dict(statuses)}


async def page_run(base: str, query: str, cookie: str | None = None) -> dict[str, Any]:
    """A real page run through nginx (Streamlit's protocol) with an optional route cookie."""
    from harness.st_protocol import StSession

    class CookieSession(StSession):
        async def __aenter__(self) -> StSession:
            import websockets

            headers = {"Cookie": f"cvae_route={cookie}"} if cookie else {}
            self.ws = await websockets.connect(self.url, subprotocols=["streamlit"],
                                               max_size=None, open_timeout=30,
                                               ping_interval=None, compression=None,
                                               additional_headers=headers)
            self.replica = self.ws.response.headers.get("X-Served-By", "")
            return self

    t = time.monotonic()
    async with CookieSession(base, query) as session:
        result = await session.run(timeout=300)
        return {"query": query, "cookie": cookie, "replica": session.replica,
                "status": result.status, "elements": len(result.widgets),
                "exceptions": result.exceptions,
                "seconds": round(time.monotonic() - t, 2)}


def replicas_rss(stack: Stack) -> dict[str, float]:
    return {a: round(rss_mb(p.pid)["rss_mb"], 1) for a, p in stack.replicas.items()}


def capacity_compare(stack: Stack, steps: list[int], step_s: float) -> dict[str, Any]:
    """Run the load generator against one replica directly and against nginx with two.

    Every replica is warmed directly first (through nginx a cookie-less warm-up session
    would land on a random replica)."""
    from benchmarks.capacity import MODELS as LOAD_MODELS
    from benchmarks.capacity import run_capacity, warm_up

    for addr in stack.replicas:
        asyncio.run(warm_up(f"http://{addr}", list(LOAD_MODELS)))
    a, proc = next(iter(stack.replicas.items()))
    return {"steps": steps, "step_seconds": step_s,
            "one_replica_direct": run_capacity(f"http://{a}", steps, step_s, pid=proc.pid,
                                               warm=False),
            "two_replicas_via_nginx": run_capacity(stack.base, steps, step_s, warm=False),
            "rss_mb_after": replicas_rss(stack)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--capacity-steps", default="",
                    help="comma-separated visitor steps for the 1-vs-2 replica comparison")
    ap.add_argument("--step-seconds", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=RESULTS / "replicas.json")
    args = ap.parse_args(argv)
    if not (1 <= args.visitors <= 50 and 1 <= args.rounds <= 30 and args.step_seconds <= 600):
        ap.error("bounded: 1-50 visitors, 1-30 rounds, <= 600 s per capacity step")
    steps = [int(s) for s in args.capacity_steps.split(",") if s]
    if any(n > 200 for n in steps):
        ap.error("bounded: at most 200 visitors per capacity step")

    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "cpus": os.cpu_count(), "background_load": background_load(),
                              "visitors": args.visitors, "rounds": args.rounds}
    workdir = Path(tempfile.mkdtemp(prefix="cvae-replicas-"))
    stack = Stack(workdir)
    ok = False
    try:
        t0 = time.monotonic()
        base = stack.start(env={"TF_CPP_MIN_LOG_LEVEL": "2"})
        addrs = list(stack.replicas)
        report["startup_s"] = round(time.monotonic() - t0, 1)
        report["replicas"] = addrs

        # 1. affinity
        sessions = [requests.Session() for _ in range(args.visitors)]
        first = rounds_of(base, sessions, args.rounds)
        seen = first["seen"]
        home = [Counter(s).most_common(1)[0][0] if s else "" for s in seen]
        report["affinity"] = {
            "requests": sum(len(s) for s in seen), "statuses": first["statuses"],
            "visitors_on_one_replica": sum(len(set(s)) == 1 for s in seen),
            "visitors": len(seen), "visitors_per_replica": dict(Counter(home)),
            "route_cookie_set_once_per_visitor": all(
                getattr(s, "route_cookies_set", 0) == 1 for s in sessions)}

        # 2. real page runs for every model, then each replica's memory
        runs = []
        one_per_replica = {h: sessions[i] for i, h in enumerate(home)}
        for i, name in enumerate(MODELS):
            for s in one_per_replica.values():  # every replica loads every model
                runs.append(asyncio.run(page_run(
                    base, f"model={name}&digit={i}", s.cookies.get("cvae_route"))))
        report["page_runs"] = runs
        route_home = {s.cookies.get("cvae_route"): home[i] for i, s in enumerate(sessions)}
        report["page_runs_on_their_replica"] = sum(
            r.get("replica") == route_home.get(r.get("cookie")) for r in runs)
        report["rss_mb_all_models"] = replicas_rss(stack)

        # 3. failover: kill the replica that has visitors, keep requesting (one round in
        # flight when the kill lands)
        victim = Counter(home).most_common(1)[0][0]
        survivor = next(a for a in addrs if a != victim)
        moved = [i for i, h in enumerate(home) if h == victim]
        around = rounds_of(base, sessions, 1)
        t_kill = time.monotonic()
        stack.kill(victim)
        later = rounds_of(base, sessions, max(1, args.rounds // 2))
        statuses_after = Counter(around["statuses"]) + Counter(later["statuses"])
        after = [a + b for a, b in zip(around["seen"], later["seen"], strict=True)]
        # skip the round that ran before the kill; a request nginx retried after finding the
        # dead replica lists both ("dead, survivor"): the last one answered
        post_kill = [[r.split(",")[-1].strip() for r in a[5:]] for a in after]
        reload_view = asyncio.run(page_run(base, view_query(moved[0]),
                                           sessions[moved[0]].cookies.get("cvae_route")))
        report["failover"] = {
            "killed": victim, "survivor": survivor, "visitors_moved": len(moved),
            "statuses": dict(statuses_after),
            "moved_visitors_answered_by": dict(Counter(r for i in moved for r in after[i][5:])),
            "moved_visitors_all_on_survivor": all(set(post_kill[i]) == {survivor}
                                                  for i in moved),
            "other_visitors_unchanged": all(set(after[i]) == {home[i]}
                                            for i in range(len(home)) if i not in moved),
            "seconds_after_kill": round(time.monotonic() - t_kill, 1),
            "reload_view_on_survivor": reload_view}

        # 4. capacity, one replica vs two (fresh replicas, the killed one restarted)
        if steps:
            stack.stop()
            stack.start(env={"TF_CPP_MIN_LOG_LEVEL": "2"})
            report["capacity"] = capacity_compare(stack, steps, args.step_seconds)
        else:
            report["capacity"] = {"skipped": "pass --capacity-steps 10,20,40 to compare "
                                             "one replica with two via benchmarks.capacity"}
        a, f = report["affinity"], report["failover"]
        ok = (a["visitors_on_one_replica"] == a["visitors"]
              and len(a["visitors_per_replica"]) == 2
              and not any(k.startswith("error") for k in f["statuses"])
              and f["moved_visitors_all_on_survivor"] and f["other_visitors_unchanged"]
              and f["reload_view_on_survivor"]["replica"] == survivor
              and not f["reload_view_on_survivor"].get("exceptions")
              and report["page_runs_on_their_replica"] == len(runs))
        report["passed"] = ok
    finally:
        stack.stop()
        report["logs"] = str(workdir)
        print(json.dumps({k: v for k, v in report.items() if k != "page_runs"}, indent=2))
        write_results(args.out, report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
