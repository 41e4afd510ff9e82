"""Two replicas behind nginx on loopback: session affinity, failover, and (optionally) capacity.

``python -m benchmarks.replicas [--visitors 12] [--rounds 8] [--capacity-steps 10,20,40]``
starts two ``streamlit run app.py`` replicas and Debian's nginx with ``deploy/nginx.conf``
rendered for them (`harness.nginx.Stack`, files in a temporary folder), then checks:
1. affinity: each visitor (its own cookie jar) makes ``--rounds`` rounds of requests (page,
   health, a linked view, the upload endpoint, the ``/_stcore/stream`` handshake), all
   answered by one replica (nginx's ``X-Served-By``), both replicas getting visitors;
2. a real page run per model through nginx (Streamlit's protocol) on each replica, then each
   replica's RSS with all models loaded;
3. failover: one replica SIGKILLed while visitors keep requesting: every request answered,
   its visitors moved to the survivor for good, one of them re-opening its linked view there;
4. with ``--capacity-steps``, `benchmarks.capacity.run_capacity` against one replica directly
   and against nginx with two (restarted) replicas.
Bounded, loopback only, everything stopped on exit. The request rounds and the checks are
shared with `benchmarks.deploy`. Writes benchmarks/results/replicas.json.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks.common import RESULTS, background_load, rss_mb, write_results
from harness.nginx import Stack

MODELS = ("class-prior-2d", "tutorial-2d", "tutorial-50d", "tfp-16d", "mlp-20d")


def view_query(i: int) -> str:
    return f"model={MODELS[i % len(MODELS)]}&digit={i % 10}&z1={(i % 7 - 3) / 2:.1f}"


def last_served(served: str) -> str:
    """The replica that answered (nginx lists "dead, survivor" for a retried request)."""
    return served.split(",")[-1].strip()


def visitor_round(base: str, session: requests.Session, i: int) -> list[tuple[str, int, str]]:
    """One round of a visitor's requests: (what, status, X-Served-By) for each."""
    from websockets.sync.client import connect

    out = []
    for what, method, path in (("page", "GET", "/"), ("health", "GET", "/_stcore/health"),
                               ("view", "GET", f"/?{view_query(i)}"),
                               ("upload", "OPTIONS", "/_stcore/upload_file/x/y")):
        r = session.request(method, base + path, timeout=30)
        if "cvae_route=" in r.headers.get("Set-Cookie", ""):
            session.route_cookies_set = getattr(session, "route_cookies_set", 0) + 1
        out.append((what, r.status_code, r.headers.get("X-Served-By", "")))
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())
    with connect(base.replace("http://", "ws://", 1) + "/_stcore/stream", open_timeout=10,
                 additional_headers={"Cookie": cookie}, subprotocols=["streamlit"]) as ws:
        out.append(("websocket", 101, ws.response.headers.get("X-Served-By", "")))
    return out


def rounds_of(base: str, sessions: list[requests.Session], rounds: int,
              replica: Callable[[str], str] = last_served) -> dict[str, Any]:
    """Every session's `visitor_round`, ``rounds`` times: the replica each request reached
    per session, and the statuses (an error is counted, not raised)."""
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


def affinity(base: str, visitors: int, rounds: int, replica: Callable[[str], str] = last_served,
             ) -> tuple[list[requests.Session], list[str], dict[str, Any]]:
    """``visitors`` cookie jars making ``rounds`` rounds: the sessions, each one's home
    replica (where most of its requests went) and the report."""
    sessions = [requests.Session() for _ in range(visitors)]
    done = rounds_of(base, sessions, rounds, replica)
    seen = done["seen"]
    homes = [Counter(s).most_common(1)[0][0] if s else "" for s in seen]
    return sessions, homes, {
        "requests": sum(map(len, seen)), "statuses": done["statuses"], "visitors": visitors,
        "visitors_on_one_replica": sum(len(set(s)) == 1 for s in seen),
        "requests_on_the_visitors_replica_pct": round(100.0 * sum(
            r == h for s, h in zip(seen, homes, strict=True) for r in s)
            / max(1, sum(map(len, seen))), 2),
        "visitors_per_replica": dict(Counter(homes)),
        "route_cookie_set_once_per_visitor": all(
            getattr(s, "route_cookies_set", 0) == 1 for s in sessions)}


def moved(seen: list[list[str]], homes: list[str], gone: str, skip: int = 5) -> dict[str, Any]:
    """After replica ``gone`` went away: where its visitors were answered (their first
    ``skip`` requests, the round around the loss, left out), each on one survivor, and the
    other visitors still on their own."""
    movers = [i for i, h in enumerate(homes) if h == gone]
    after = [seen[i][skip:] for i in movers]
    return {"visitors_moved": len(movers), "moved_to": dict(Counter(a[-1] for a in after if a)),
            "moved_visitors_on_one_survivor": all(len(set(a)) == 1 and gone not in a
                                                  for a in after),
            "others_unchanged": all(set(seen[i]) == {homes[i]}
                                    for i in range(len(homes)) if i not in movers)}


async def page_run(base: str, query: str, cookie: str | None = None) -> dict[str, Any]:
    """A real page run through nginx (Streamlit's protocol) with an optional route cookie."""
    from harness.st_protocol import StSession

    t = time.monotonic()
    headers = {"Cookie": f"cvae_route={cookie}"} if cookie else {}
    async with StSession(base, query, headers) as session:
        result = await session.run(timeout=300)
        return {"query": query, "cookie": cookie,
                "replica": session.ws.response.headers.get("X-Served-By", ""),
                "status": result.status, "elements": len(result.widgets),
                "exceptions": result.exceptions, "seconds": round(time.monotonic() - t, 2)}


def replicas_rss(stack: Stack) -> dict[str, float]:
    return {a: round(rss_mb(p.pid)["rss_mb"], 1) for a, p in stack.replicas.items()}


def capacity_compare(stack: Stack, steps: list[int], step_s: float) -> dict[str, Any]:
    """The load generator against one replica directly and against nginx with two (every
    replica warmed directly first: through nginx a warm-up would land on either)."""
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


def check(report: dict[str, Any], stack: Stack, visitors: int, rounds: int) -> None:
    """Steps 1-3 of the docstring, into ``report``."""
    t0 = time.monotonic()
    base = stack.start(env={"TF_CPP_MIN_LOG_LEVEL": "2"})
    report["startup_s"] = round(time.monotonic() - t0, 1)
    report["replicas"] = addrs = list(stack.replicas)
    sessions, home, report["affinity"] = affinity(base, visitors, rounds)
    cookie = [s.cookies.get("cvae_route") for s in sessions]
    runs = []
    for i, name in enumerate(MODELS):  # every replica loads every model
        for c in {h: cookie[v] for v, h in enumerate(home)}.values():
            runs.append(asyncio.run(page_run(base, f"model={name}&digit={i}", c)))
    report["page_runs"] = runs
    report["page_runs_on_their_replica"] = sum(
        r["replica"] == dict(zip(cookie, home, strict=True)).get(r["cookie"]) for r in runs)
    report["rss_mb_all_models"] = replicas_rss(stack)
    # failover: kill the replica with most visitors; one round before, more after
    victim = Counter(home).most_common(1)[0][0]
    survivor = next(a for a in addrs if a != victim)
    around = rounds_of(base, sessions, 1)
    t_kill = time.monotonic()
    stack.kill(victim)
    later = rounds_of(base, sessions, max(1, rounds // 2))
    seen = [a + b for a, b in zip(around["seen"], later["seen"], strict=True)]
    first = home.index(victim)
    report["failover"] = {
        "killed": victim, "survivor": survivor,
        "statuses": dict(Counter(around["statuses"]) + Counter(later["statuses"])),
        **moved(seen, home, victim), "seconds_after_kill": round(time.monotonic() - t_kill, 1),
        "reload_view_on_survivor": asyncio.run(page_run(base, view_query(first), cookie[first]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--capacity-steps", default="",
                    help="comma-separated visitor steps for the 1-vs-2 replica comparison")
    ap.add_argument("--step-seconds", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=RESULTS / "replicas.json")
    args = ap.parse_args(argv)
    steps = [int(s) for s in args.capacity_steps.split(",") if s]
    if not (1 <= args.visitors <= 50 and 1 <= args.rounds <= 30 and args.step_seconds <= 600
            and all(n <= 200 for n in steps)):
        ap.error("bounded: 1-50 visitors, 1-30 rounds, <= 200 visitors and <= 600 s per "
                 "capacity step")
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "cpus": os.cpu_count(), "background_load": background_load(),
                              "visitors": args.visitors, "rounds": args.rounds}
    workdir = Path(tempfile.mkdtemp(prefix="cvae-replicas-"))
    stack, ok = Stack(workdir), False
    try:
        check(report, stack, args.visitors, args.rounds)
        if steps:  # fresh replicas, the killed one restarted
            stack.stop()
            stack.start(env={"TF_CPP_MIN_LOG_LEVEL": "2"})
            report["capacity"] = capacity_compare(stack, steps, args.step_seconds)
        else:
            report["capacity"] = {"skipped": "pass --capacity-steps 10,20,40 to compare "
                                             "one replica with two via benchmarks.capacity"}
        a, f = report["affinity"], report["failover"]
        reload_view = f["reload_view_on_survivor"]
        ok = (a["visitors_on_one_replica"] == a["visitors"]
              and len(a["visitors_per_replica"]) == 2
              and not any(k.startswith("error") for k in f["statuses"])
              and f["moved_visitors_on_one_survivor"] and f["others_unchanged"]
              and reload_view["replica"] == f["survivor"] and not reload_view["exceptions"]
              and report["page_runs_on_their_replica"] == len(report["page_runs"]))
        report["passed"] = ok
    finally:
        stack.stop()
        report["logs"] = str(workdir)
        print(json.dumps({k: v for k, v in report.items() if k != "page_runs"}, indent=2))
        write_results(args.out, report)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
