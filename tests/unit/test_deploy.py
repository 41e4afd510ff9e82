"""deploy/ read as files: the compose file, the container requirements, the image, the k8s
manifests and the loopback nginx template (nginx itself runs in tests/server/test_deploy.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from harness.nginx import NGINX_CONF, loopback_conf
from harness.paths import ROOT

DEPLOY = ROOT / "deploy"
UPSTREAMS_SH = DEPLOY / "nginx-upstreams.sh"


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
