"""deploy/: nginx in front of stand-in replicas (affinity, headers, live-socket limits), the
compose file, the upstream renderer, the container requirements and the k8s manifests.

No image is built here (``python -m benchmarks.deploy`` does that); nginx is Debian's, run on
loopback with ``deploy/nginx.conf`` rewritten for the stand-ins' ports.
"""

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

ROOT = Path(__file__).resolve().parents[1]
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


# --- nginx.conf ------------------------------------------------------------------------

def test_loopback_template_replaces_upstreams_and_listen(tmp_path):
    conf = loopback_conf(NGINX_CONF.read_text(), ["127.0.0.1:1111", "127.0.0.1:2222"], 3333,
                         tmp_path)
    assert "cvae-upstreams.conf" not in conf and "listen 80;" not in conf
    assert "server 127.0.0.1:1111 " in conf and "server 127.0.0.1:2222 " in conf
    assert "listen 127.0.0.1:3333;" in conf
    assert f"pid {tmp_path}/nginx.pid;" in conf


def test_template_refuses_a_config_without_markers(tmp_path):
    with pytest.raises(ValueError, match="markers"):
        loopback_conf("events {}\nhttp {\n}\n", ["127.0.0.1:1"], 2, tmp_path)


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


# --- the compose file and its nginx ----------------------------------------------------

def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_compose_starts_two_replicas_on_docker_and_podman_compose():
    app = compose()["services"]["app"]
    # podman-compose 1.6 ignores `replicas` unless the mode is spelled out
    assert app["deploy"]["mode"] == "replicated" and app["deploy"]["replicas"] == 2
    assert app["build"]["dockerfile"] == "Dockerfile"
    assert "container_name" not in app  # a fixed name would forbid a second replica
    assert "/cvae/ready" in " ".join(app["healthcheck"]["test"])


def test_compose_replicas_trust_exactly_the_network_nginx_reaches_them_from():
    """Behind compose's nginx, the live channel must count visitors (X-Forwarded-For), so
    the replicas trust the compose network's subnet, and nothing else."""
    import ipaddress

    spec = compose()
    trusted = spec["services"]["app"]["environment"]["CVAE_TRUSTED_PROXIES"]
    subnets = [c["subnet"] for c in spec["networks"]["default"]["ipam"]["config"]]
    assert [ipaddress.ip_network(n) for n in trusted.split(",")] == [
        ipaddress.ip_network(n) for n in subnets]
    assert "ports" not in spec["services"]["app"]  # only the network reaches the replicas


def test_compose_nginx_runs_the_upstream_renderer_with_the_repo_config():
    nginx = compose()["services"]["nginx"]
    mounts = {m.split(":")[1]: (DEPLOY / m.split(":")[0]).resolve() for m in nginx["volumes"]}
    assert mounts["/etc/nginx/nginx.conf"] == NGINX_CONF
    assert mounts["/etc/nginx/nginx-upstreams.sh"] == UPSTREAMS_SH
    assert nginx["command"] == ["/bin/sh", "/etc/nginx/nginx-upstreams.sh"]
    assert "include /etc/nginx/cvae-upstreams.conf;" in NGINX_CONF.read_text()
    assert re.fullmatch(r"\$\{CVAE_PUBLISH:-8080\}:80", nginx["ports"][0])


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


# --- the image's dependencies -----------------------------------------------------------

def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^\s#]+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_container_requirements_pin_the_same_versions_as_requirements_txt():
    root, image = pins(ROOT / "requirements.txt"), pins(DEPLOY / "requirements-container.txt")
    assert set(image) == set(root) - {"tensorflow", "tf-keras"}
    assert {k: root[k] for k in image} == image
    dockerfile = (ROOT / "Dockerfile").read_text()
    for needed in (f"tensorflow-cpu=={root['tensorflow']}", f"tf-keras=={root['tf-keras']}",
                   f'"tensorflow[and-cuda]=={root["tensorflow"]}"'):
        assert needed in dockerfile, needed


def test_image_checks_readiness_and_runs_as_uid_10001():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (health,) = [ln for ln in dockerfile.splitlines() if "urlopen(" in ln]
    assert "http://localhost:8501/cvae/ready" in health
    assert re.search(r"^USER 10001$", dockerfile, re.M)
    assert "requirements-container.txt" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "!deploy/requirements-container.txt" in ignored  # in the build context


# --- Kubernetes ---------------------------------------------------------------------------

def manifests() -> list[dict]:
    return [doc for p in sorted((DEPLOY / "k8s").glob("*.yaml")) if p.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(p.read_text()) if doc]


def test_probes_ready_on_warm_models_live_on_streamlit_health():
    (deployment,) = [d for d in manifests() if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["startupProbe"]["httpGet"]["path"] == "/cvae/ready"
    assert container["readinessProbe"]["httpGet"]["path"] == "/cvae/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001


def test_manifests_are_valid_kubernetes_objects():
    kv = pytest.importorskip("kubernetes_validate", reason="pip install -r requirements-dev.txt "
                             "(kubernetes-validate ships the Kubernetes schemas)")
    from kubernetes_validate.utils import latest_version

    docs = manifests()
    assert {d["kind"] for d in docs} == {"Deployment", "Service", "Ingress",
                                         "HorizontalPodAutoscaler"}
    for doc in docs:  # raises ValidationError naming the field
        kv.validate(doc, latest_version(), strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None,
                    reason="kubectl not installed (kubectl kustomize renders deploy/k8s)")
def test_kustomize_renders_every_manifest():
    done = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "k8s")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rendered = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert sorted(d["kind"] for d in rendered) == sorted(d["kind"] for d in manifests())


def test_live_channel_ingress_limits_clients_and_keeps_the_pages_affinity():
    ingresses = {d["metadata"]["name"]: d for d in manifests() if d["kind"] == "Ingress"}
    page, live = ingresses["cvae-explorer"], ingresses["cvae-explorer-live"]
    (path,) = live["spec"]["rules"][0]["http"]["paths"]
    assert path["path"] == "/cvae/live"
    assert live["spec"]["rules"][0]["host"] == page["spec"]["rules"][0]["host"]
    notes = live["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/limit-connections"] == "16"

    def affinity(doc: dict) -> dict:
        return {k: v for k, v in doc["metadata"]["annotations"].items()
                if "affinity" in k or "session-cookie" in k}

    assert affinity(live) == affinity(page) and affinity(page)
