"""deploy/: the nginx config passes `nginx -t` once templated for loopback; manifests parse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness.nginx import NGINX_CONF, loopback_conf

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_loopback_template_replaces_upstreams_and_listen(tmp_path):
    conf = loopback_conf(NGINX_CONF.read_text(), ["127.0.0.1:1111", "127.0.0.1:2222"], 3333,
                         tmp_path)
    assert "server app:8501" not in conf and "listen 80;" not in conf
    assert "server 127.0.0.1:1111 " in conf and "server 127.0.0.1:2222 " in conf
    assert "listen 127.0.0.1:3333;" in conf
    assert f"pid {tmp_path}/nginx.pid;" in conf
    for needle in ("hash $cvae_route consistent;", "location = /_stcore/stream",
                   "location /cvae/live", "location = /_stcore/health",
                   "proxy_set_header Upgrade $http_upgrade;", "X-Served-By $upstream_addr"):
        assert needle in conf, needle


def test_template_refuses_a_config_without_markers(tmp_path):
    with pytest.raises(ValueError, match="markers"):
        loopback_conf("events {}\nhttp {\n}\n", ["127.0.0.1:1"], 2, tmp_path)


@pytest.mark.skipif(not Path(NGINX).is_file(), reason="nginx not installed")
def test_nginx_accepts_the_loopback_config(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(loopback_conf(NGINX_CONF.read_text(), ["127.0.0.1:1"], 2, tmp_path))
    done = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_manifests_parse_and_probe_streamlit_health():
    import yaml

    docs = {p.name: list(yaml.safe_load_all(p.read_text()))
            for p in sorted((ROOT / "deploy").rglob("*.y*ml"))}
    assert set(docs) == {"docker-compose.yml", "deployment.yaml", "service.yaml",
                         "ingress.yaml", "hpa.yaml", "kustomization.yaml"}
    (deployment,) = docs["deployment.yaml"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
    assert container["resources"]["limits"]["memory"] == "1536Mi"
    (ingress,) = docs["ingress.yaml"]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    (compose,) = docs["docker-compose.yml"]
    assert compose["services"]["app"]["build"]["dockerfile"] == "Dockerfile"
