"""deploy/ run: nginx in front of stand-in replicas (affinity, headers, live-socket limits), the
upstream renderer and kustomize.

No image is built here (``python -m benchmarks.deploy`` does that); nginx is Debian's, run on
loopback with ``deploy/nginx.conf`` rewritten for the stand-ins' ports."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import yaml

from harness.nginx import NGINX, NGINX_CONF, loopback_conf, loopback_nginx
from harness.paths import ROOT

DEPLOY = ROOT / "deploy"
UPSTREAMS_SH = DEPLOY / "nginx-upstreams.sh"
needs_nginx = pytest.mark.skipif(not Path(NGINX).is_file(),
                                 reason="nginx not installed (apt-get install nginx)")


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with its own name and the headers it received, as JSON;
    requests to /hold wait until the server's ``release`` event is set."""

    def do_GET(self) -> None:
        if self.path.startswith("/cvae/live/hold"):
            self.server.holding += 1  # type: ignore[attr-defined]
            self.server.release.wait(10)  # type: ignore[attr-defined]
        body = json.dumps({"name": self.server.name,  # type: ignore[attr-defined]
                           "path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def echo_upstreams(n: int) -> Iterator[list[ThreadingHTTPServer]]:
    servers = []
    for i in range(n):
        s = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        s.daemon_threads = True
        s.name, s.release = f"replica-{i}", threading.Event()  # type: ignore[attr-defined]
        s.holding = 0  # type: ignore[attr-defined]
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    try:
        yield servers
    finally:
        for s in servers:
            s.release.set()  # type: ignore[attr-defined]
            s.shutdown()
            s.server_close()


def addr(server: ThreadingHTTPServer) -> str:
    return f"127.0.0.1:{server.server_address[1]}"


@needs_nginx
def test_nginx_accepts_the_loopback_config(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(loopback_conf(NGINX_CONF.read_text(), ["127.0.0.1:1"], 2, tmp_path))
    done = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@needs_nginx
def test_each_route_cookie_stays_on_one_of_three_replicas(tmp_path):
    with echo_upstreams(3) as ups, loopback_nginx([addr(u) for u in ups], tmp_path) as base:
        homes: Counter = Counter()
        for _ in range(30):
            visitor = requests.Session()
            first = visitor.get(f"{base}/", timeout=5)
            assert "cvae_route=" in first.headers["Set-Cookie"]
            served = {first.json()["name"]}
            for path in ("/", "/_stcore/health", "/?model=tfp-16d&digit=3", "/static/x.js"):
                r = visitor.get(base + path, timeout=5)
                assert "Set-Cookie" not in r.headers  # the cookie is set once
                served.add(r.json()["name"])
            assert len(served) == 1, served
            homes[served.pop()] += 1
        assert len(homes) >= 2, homes  # the cookies spread over the replicas


@needs_nginx
def test_the_visitors_host_and_address_reach_the_app_on_every_route(tmp_path):
    """The app's Origin checks compare a WebSocket's Origin with its Host: nginx must pass
    the visitor's Host with its port (not the upstream's name) on the page, stream and
    live routes."""
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    with echo_upstreams(1) as ups, loopback_nginx([addr(u) for u in ups], tmp_path) as base:
        for path, extra in (("/", {}), ("/_stcore/stream", upgrade), ("/cvae/live", upgrade)):
            got = requests.get(base + path, headers={"Host": "cvae.example.org:8080", **extra},
                               timeout=5).json()["headers"]
            assert got["host"] == "cvae.example.org:8080", (path, got)  # port kept
            assert got["x-forwarded-for"] == "127.0.0.1" and got["x-real-ip"] == "127.0.0.1"
            if extra:
                assert got["upgrade"] == "websocket" and got["connection"] == "upgrade", got
            else:
                assert "upgrade" not in got and "connection" not in got, got  # keepalive


@needs_nginx
def test_one_address_cannot_hold_more_than_16_live_sockets(tmp_path):
    with echo_upstreams(1) as ups, loopback_nginx([addr(u) for u in ups], tmp_path) as base:
        port = int(base.rsplit(":", 1)[1])
        held = []
        try:
            for _ in range(16):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"GET /cvae/live/hold HTTP/1.1\r\nHost: x\r\n\r\n")
                held.append(s)
            # the 16 are open (upstream holds them); a 17th is refused, other routes are not
            deadline = time.monotonic() + 10
            while ups[0].holding < 16 and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.05)
            assert requests.get(f"{base}/cvae/live", timeout=5).status_code == 429
            assert requests.get(f"{base}/", timeout=5).status_code == 200
        finally:
            ups[0].release.set()  # type: ignore[attr-defined]
            for s in held:
                s.close()


@needs_nginx
def test_one_address_cannot_open_live_sockets_in_a_flood(tmp_path):
    with echo_upstreams(1) as ups, loopback_nginx([addr(u) for u in ups], tmp_path) as base:
        codes = [requests.get(f"{base}/cvae/live", timeout=5).status_code for _ in range(40)]
        assert codes[:16] == [200] * 16  # a burst of a page's worth of reconnects passes
        assert 429 in codes[16:]  # a flood does not
        assert requests.get(f"{base}/", timeout=5).status_code == 200


def render_upstreams(host: str) -> str:
    return subprocess.run(["sh", str(UPSTREAMS_SH), "--print"], capture_output=True,
                          text=True, check=True, env={"CVAE_APP_HOST": host,
                                                      "PATH": "/usr/bin:/bin"}).stdout


@pytest.mark.skipif(shutil.which("getent") is None, reason="no getent")
def test_renderer_writes_one_server_per_address_and_a_placeholder_before_any():
    assert render_upstreams("localhost").splitlines() == [
        "server 127.0.0.1:8501 max_fails=1 fail_timeout=10s;"]
    assert render_upstreams("no-such-replica.invalid").startswith("server 127.0.0.1:9 down;")


@needs_nginx
@pytest.mark.skipif(shutil.which("getent") is None, reason="no getent")
def test_nginx_starts_with_no_replica_resolvable_yet(tmp_path):
    placeholder = render_upstreams("no-such-replica.invalid").strip()

    def no_replica(conf: str) -> str:
        return re.sub(r"^\s*server 127\.0\.0\.1:1 .*$", placeholder, conf, flags=re.M)

    with loopback_nginx(["127.0.0.1:1"], tmp_path, no_replica) as base:
        assert requests.get(f"{base}/nginx-health", timeout=5).status_code == 200
        assert requests.get(f"{base}/", timeout=5).status_code == 502


# --- Kubernetes ---------------------------------------------------------------------------

def manifests() -> list[dict]:
    return [doc for p in sorted((DEPLOY / "k8s").glob("*.yaml")) if p.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(p.read_text()) if doc]


@pytest.mark.skipif(shutil.which("kubectl") is None,
                    reason="kubectl not installed (kubectl kustomize renders deploy/k8s)")
def test_kustomize_renders_every_manifest():
    done = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "k8s")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rendered = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert sorted(d["kind"] for d in rendered) == sorted(d["kind"] for d in manifests())
