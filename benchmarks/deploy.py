"""The deploy files in real containers: image, one container, then compose with 2 and 3 replicas.

``python -m benchmarks.deploy [--fresh | --no-build] [--visitors 15] [--rounds 8]`` needs
podman and podman-compose 1.6 (``../shared/tools/container-standins``) and Debian's Chromium:
1. ``podman build --format docker`` (keeps the HEALTHCHECK; ``--fresh``: no layer cache):
   build time, image size, the HEALTHCHECK kept;
2. one container (read-only root): start -> ``/cvae/ready`` 200 -> first page settled in
   Chromium; its uid (10001), ``podman healthcheck run``, TensorFlow lines in its log, memory;
3. ``deploy/docker-compose.yml``: 2 replicas from ``up``, then ``--scale app=3``: every
   visitor (its own cookie) stays on one replica over >= 400 requests, Chromium through nginx
   renders every picture, a WebSocket with a real domain's Host and Origin is accepted; one
   replica stopped: its visitors move to a survivor and their linked view renders there.
Without ``/cvae/ready`` (an older image) readiness falls back to ``/_stcore/health`` and
says so. Bounded, published on 127.0.0.1 only, everything removed on exit. The request rounds
and checks are `benchmarks.replicas`'s. Writes benchmarks/results/deploy.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, background_load, write_results
from benchmarks.common import browser_visit as browser_visit_in
from benchmarks.replicas import affinity, last_served, moved, page_run, rounds_of, view_query
from harness.paths import ROOT
from harness.server import free_port, wait_for

IMAGE = "localhost/cvae-explorer:latest"  # what `image: cvae-explorer` in compose resolves to
COMPOSE_FILE = ROOT / "deploy" / "docker-compose.yml"
PROJECT = "cvae-deploy-bench"
SINGLE = "cvae-deploy-bench-single"
READY, HEALTH = "/cvae/ready", "/_stcore/health"
# TensorFlow start-up lines an operator would see in the container's log.
TF_NOISE = re.compile(r"cuInit|cudart_stub|cuda_|oneDNN custom operations|cpu_feature_guard|"
                      r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:\d\d", re.M)


def sh(*cmd: str, timeout: float = 120, check: bool = True,
       env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=ROOT)
    if check and done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def compose(*args: str, publish: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return sh("podman-compose", "-p", PROJECT, "-f", str(COMPOSE_FILE), *args,
              timeout=timeout, env={"CVAE_PUBLISH": publish})


def status_inside(container: str, path: str) -> tuple[int, str]:
    """HTTP status and Content-Type of ``path`` asked from inside the container (0: no
    answer)."""
    code = ("import sys, urllib.request, urllib.error\n"
            "try: r = urllib.request.urlopen(sys.argv[1], timeout=5)\n"
            "except urllib.error.HTTPError as e: r = e\n"
            "except Exception: print(0); sys.exit()\n"
            "print(r.status, r.headers.get('Content-Type', ''))")
    done = sh("podman", "exec", container, "python", "-c", code,
              f"http://localhost:8501{path}", check=False, timeout=30)
    status, _, kind = (done.stdout.strip() or "0").partition(" ")
    return int(status), kind


def wait_ready(container: str, timeout: float = 300) -> dict[str, Any]:
    """Poll the container's readiness route until 200; falls back to Streamlit's health
    while the app has no /cvae/ready (404, or Streamlit's index page: it answers unknown
    paths with it). Seconds from now to health and to ready."""
    t0 = time.monotonic()
    out: dict[str, Any] = {"route": READY}
    while time.monotonic() - t0 < timeout:
        health, _ = status_inside(container, HEALTH)
        if health == 200 and "health_s" not in out:
            out["health_s"] = round(time.monotonic() - t0, 1)
        if health == 200:
            ready, kind = status_inside(container, READY)
            if ready == 404 or "html" in kind:
                out["route"] = (f"{HEALTH} (fallback: the app has no {READY} yet, it answered "
                                f"{ready} {kind})")
                out["ready_s"] = out["health_s"]
                return out
            if ready == 200:
                out["ready_s"] = round(time.monotonic() - t0, 1)
                return out
        time.sleep(0.5)
    raise TimeoutError(f"{container} not ready within {timeout:.0f} s")


# --- 1. the image -------------------------------------------------------------------------

def build(report: dict[str, Any], no_build: bool, fresh: bool) -> None:
    if not no_build:
        t = time.monotonic()
        done = sh("podman", "build", "--format", "docker", *(["--no-cache"] if fresh else []),
                  "-t", IMAGE, ".", timeout=1800)
        report["build"] = {"seconds": round(time.monotonic() - t, 1), "no_cache": fresh,
                           "steps_from_cache": (done.stdout + done.stderr).count("Using cache")}
    inspect = json.loads(sh("podman", "image", "inspect", IMAGE).stdout)[0]
    history = json.loads(sh("podman", "history", "--format", "json", IMAGE).stdout)
    biggest = max(history, key=lambda h: h.get("size", 0))
    report["image"] = {
        "size_mb": round(inspect["Size"] / 1e6),
        "largest_layer_mb": round(biggest.get("size", 0) / 1e6),
        "largest_layer": (biggest.get("CreatedBy") or biggest.get("created_by") or "")[:120],
        "healthcheck": (inspect.get("Healthcheck") or {}).get("Test"),
        "user": inspect["Config"].get("User"),
        "base_image_mb": round(json.loads(sh("podman", "image", "inspect",
                                             "python:3.11-slim").stdout)[0]["Size"] / 1e6)}


# --- 2. one container -----------------------------------------------------------------------

def browser_visit(base: str, query: str = "", cookie: str | None = None) -> dict[str, Any]:
    """Chromium opens the page (with an optional route cookie) and waits until it settles
    (`benchmarks.common.browser_visit`): seconds, the pictures and any that failed."""
    from harness.browser import launch_chromium

    with launch_chromium() as browser:
        visit = browser_visit_in(browser, f"{base}/{'?' + query if query else ''}", cookie)
    return {"query": query, **{k: visit[k] for k in (
        "settled_s", "images", "media_images", "media_missing", "not_decoded", "cookie")}}


def single_container(report: dict[str, Any]) -> None:
    port = free_port()
    sh("podman", "rm", "-f", SINGLE, check=False)
    t0 = time.monotonic()
    # read-only root file system: what k8s' readOnlyRootFilesystem asks of the image
    sh("podman", "run", "-d", "--read-only", "--name", SINGLE, "-p", f"127.0.0.1:{port}:8501",
       IMAGE)
    ready = wait_ready(SINGLE)
    started = time.monotonic() - t0
    ready["start_to_health_s"] = round(started - ready.pop("ready_s") + ready["health_s"], 1)
    ready["start_to_ready_s"] = round(started, 1)
    base = f"http://127.0.0.1:{port}"
    first = browser_visit(base)
    health = sh("podman", "healthcheck", "run", SINGLE, check=False)
    log = sh("podman", "logs", SINGLE, check=False)
    text = log.stdout + log.stderr
    stats = sh("podman", "stats", "--no-stream", "--format", "{{.MemUsage}}", SINGLE,
               check=False).stdout.strip()
    report["single"] = {
        "read_only_root": True, **ready, "first_page": first,
        "uid": sh("podman", "exec", SINGLE, "id", "-u").stdout.strip(),
        "healthcheck_run": {"exit": health.returncode,
                            "output": (health.stdout + health.stderr).strip()},
        "health_status": sh("podman", "inspect", "--format", "{{.State.Healthcheck.Status}}",
                            SINGLE, check=False).stdout.strip(),
        "memory": stats,
        "tf_log_lines": [ln[:160] for ln in text.splitlines() if TF_NOISE.search(ln)],
        "log_lines": len(text.splitlines())}
    sh("podman", "rm", "-f", SINGLE, check=False)


# --- 3. compose -----------------------------------------------------------------------------

def app_containers() -> dict[str, str]:
    """Running app replicas of the compose project: IP address -> container name."""
    names = sh("podman", "ps", "--filter", f"label=io.podman.compose.project={PROJECT}",
               "--filter", "label=com.docker.compose.service=app",
               "--format", "{{.Names}}").stdout.split()
    out = {}
    for name in names:
        ip = sh("podman", "inspect", "--format",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).stdout.strip()
        out[ip] = name
    return out


def nginx_container() -> str:
    return sh("podman", "ps", "--filter", f"label=io.podman.compose.project={PROJECT}",
              "--filter", "label=com.docker.compose.service=nginx",
              "--format", "{{.Names}}").stdout.split()[0]


def nginx_upstreams() -> list[str]:
    conf = sh("podman", "exec", nginx_container(), "cat", "/etc/nginx/cvae-upstreams.conf",
              check=False).stdout
    return re.findall(r"^server (\S+) max_fails", conf, re.M)


def wait_upstreams(n: int, timeout: float = 60) -> float:
    t = time.monotonic()
    while len(nginx_upstreams()) != n:
        if time.monotonic() - t > timeout:
            raise TimeoutError(f"nginx did not list {n} replicas: {nginx_upstreams()}")
        time.sleep(0.5)
    return round(time.monotonic() - t, 1)


def replica_of(ips: dict[str, str]) -> Any:
    """X-Served-By (the last address, after retries) -> the container's name."""
    return lambda served: (lambda ip: ips.get(ip, served))(
        last_served(served).rsplit(":", 1)[0])


def same_site_websocket(port: int, host: str = "cvae.example.org") -> str:
    """Status line of a WebSocket upgrade through nginx with Host and Origin both ``host``
    (what a browser on a real domain sends): 101 when the app sees the visitor's Host."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Protocol: streamlit\r\n\r\n").encode())
        return s.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def compose_run(report: dict[str, Any], visitors: int, rounds: int) -> None:
    port = free_port()
    publish = f"127.0.0.1:{port}"
    base = f"http://{publish}"
    out: dict[str, Any] = report.setdefault("compose", {})
    t0 = time.monotonic()
    compose("up", "-d", publish=publish)
    wait_for(base, "/nginx-health", None, 120, poll=0.5)
    out["nginx_up_s"] = round(time.monotonic() - t0, 1)
    ips = app_containers()
    out["replicas_from_up"] = len(ips)
    out["ready"] = {name: wait_ready(name) for name in ips.values()}
    out["up_to_all_ready_s"] = round(time.monotonic() - t0, 1)
    wait_upstreams(len(ips))
    out["two_replicas_affinity"] = affinity(base, max(6, visitors // 2), 4, replica_of(ips))[2]

    t1 = time.monotonic()
    compose("up", "-d", "--scale", "app=3", publish=publish)
    ips = app_containers()
    out["replicas_after_scale"] = len(ips)
    for name in ips.values():
        wait_ready(name)
    out["nginx_follows_scale_s"] = wait_upstreams(len(ips))
    out["scale_to_ready_s"] = round(time.monotonic() - t1, 1)
    sessions, homes, out["three_replicas_affinity"] = affinity(base, visitors, rounds,
                                                                replica_of(ips))
    out["same_site_websocket_via_nginx"] = same_site_websocket(port)
    out["browser_via_nginx"] = [browser_visit(base), browser_visit(base, view_query(1)),
                                browser_visit(base, view_query(3))]

    # stop the replica with most visitors; they keep requesting
    victim = Counter(homes).most_common(1)[0][0]
    t2 = time.monotonic()
    sh("podman", "stop", "-t", "10", victim)
    stop_s = round(time.monotonic() - t2, 1)
    after = rounds_of(base, sessions, 3, replica_of(ips))
    out["stop_one"] = {"stopped": victim, "stop_s": stop_s, "statuses_after": after["statuses"],
                       **moved(after["seen"], homes, victim),
                       "nginx_dropped_it_s": wait_upstreams(len(ips) - 1)}
    first = homes.index(victim)
    cookie = sessions[first].cookies.get("cvae_route")
    out["stop_one"]["linked_view_protocol"] = asyncio.run(
        page_run(base, view_query(first), cookie))
    out["stop_one"]["linked_view_browser"] = browser_visit(base, view_query(first), cookie)


def cleanup() -> None:
    sh("podman", "rm", "-f", SINGLE, check=False)
    sh("podman-compose", "-p", PROJECT, "-f", str(COMPOSE_FILE), "down", check=False,
       timeout=180, env={"CVAE_PUBLISH": "127.0.0.1:1"})
    left = sh("podman", "ps", "-aq", "--filter", f"label=io.podman.compose.project={PROJECT}",
              check=False).stdout.split()
    if left:
        sh("podman", "rm", "-f", *left, check=False)
    sh("podman", "network", "rm", f"{PROJECT}_default", check=False)


def passed(r: dict[str, Any]) -> bool:
    s, c = r.get("single", {}), r.get("compose", {})
    three, stop = c.get("three_replicas_affinity", {}), c.get("stop_one", {})
    pages = [*c.get("browser_via_nginx", []), stop.get("linked_view_browser", {})]
    return bool(
        s.get("uid") == "10001" and s.get("healthcheck_run", {}).get("exit") == 0
        and c.get("replicas_from_up") == 2 and c.get("replicas_after_scale") == 3
        and three.get("requests", 0) >= 400 and three.get("visitors_on_one_replica")
        == three.get("visitors") and not any(k.startswith("error") for k in three["statuses"])
        and all(p.get("media_images", 0) > 0 and not p.get("media_missing") for p in pages)
        and " 101 " in c.get("same_site_websocket_via_nginx", "") + " "
        and stop.get("moved_visitors_on_one_survivor") and stop.get("others_unchanged")
        and not stop["linked_view_protocol"].get("exceptions"))


def versions() -> dict[str, str]:
    def first_line(*cmd: str) -> str:
        lines = (lambda d: (d.stdout + d.stderr).strip().splitlines())(
            sh(*cmd, check=False, timeout=60))
        return lines[-1] if lines else ""
    return {"podman": first_line("podman", "--version"),
            "podman_compose": next((ln for ln in sh("podman-compose", "version", check=False)
                                    .stdout.splitlines() if "podman-compose" in ln), ""),
            "nginx_in_compose": first_line("podman", "run", "--rm", "nginx:1.27-alpine",
                                           "nginx", "-v")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-build", action="store_true", help=f"reuse the image {IMAGE}")
    ap.add_argument("--fresh", action="store_true", help="build without the layer cache")
    ap.add_argument("--visitors", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--note", default="", help="e.g. 'shared with other jobs'")
    ap.add_argument("--out", type=Path, default=RESULTS / "deploy.json")
    args = ap.parse_args(argv)
    if not (1 <= args.visitors <= 50 and 1 <= args.rounds <= 30):
        ap.error("bounded: 1-50 visitors, 1-30 rounds")
    if args.visitors * args.rounds * 5 < 400:
        ap.error("affinity needs >= 400 requests: visitors x rounds x 5 requests")
    missing = [t for t in ("podman", "podman-compose") if shutil.which(t) is None]
    if missing:
        ap.error(f"needs {', '.join(missing)} (../shared/tools/container-standins sets them up)")
    busy = background_load()
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                              "cpus": os.cpu_count(), "background_load": busy,
                              "contended": bool(busy) or bool(args.note), "note": args.note,
                              "versions": versions()}
    t0 = time.monotonic()
    try:
        cleanup()
        build(report, args.no_build, args.fresh)
        single_container(report)
        compose_run(report, args.visitors, args.rounds)
    except Exception as e:
        report["error"] = f"{type(e).__name__}: {e}"
        raise
    finally:
        cleanup()
        report["seconds"] = round(time.monotonic() - t0, 1)
        report["passed"] = "error" not in report and passed(report)
        print(json.dumps(report, indent=2))
        write_results(args.out, report)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
