"""deploy/nginx.conf in front of a stand-in upstream: it gzips the page, passes on what the
upstream already compressed, and keeps Streamlit's hashed /static/ files once fetched."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.nginx import NGINX_CONF, loopback_conf
from harness.server import free_port, stop_server, wait_healthy

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PAGE = b"<!doctype html><title>page</title>" + b"<p>Streamlit's page shell.</p>" * 200
BUNDLE = b"export const x = 1;\n" * 3000
ASKED: list[tuple[str, str]] = []  # (path, Accept-Encoding) of every request that arrived


class Upstream(BaseHTTPRequestHandler):
    """The page uncompressed; /static/ gzipped when asked, immutable, as the app sends it."""

    def do_GET(self) -> None:
        accept = self.headers.get("Accept-Encoding", "")
        ASKED.append((self.path, accept))
        headers = {"Content-Type": "text/html"}
        body = PAGE
        if self.path == "/_stcore/health":
            body = b"ok"
        elif self.path.startswith("/static/"):
            headers = {"Content-Type": "text/javascript", "Vary": "Accept-Encoding",
                       "Cache-Control": "max-age=315360000, public, immutable"}
            body = BUNDLE
            if "gzip" in accept:
                body, headers["Content-Encoding"] = gzip.compress(BUNDLE), "gzip"
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    if not Path(NGINX).is_file():
        pytest.skip("nginx not installed")
    ASKED.clear()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(loopback_conf(NGINX_CONF.read_text(),
                                  [f"127.0.0.1:{upstream.server_port}"], port, tmp_path))
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc, 30)
        yield base, upstream
    finally:
        stop_server(proc)
        upstream.shutdown()


def fetch(url: str, encoding: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request, timeout=10) as r:
        return {k.lower(): v for k, v in r.headers.items()}, r.read()


def test_the_page_is_gzipped_by_nginx(stack):
    base, _ = stack
    headers, body = fetch(f"{base}/", "gzip, deflate, br")
    assert headers.get("content-encoding") == "gzip"
    assert gzip.decompress(body) == PAGE
    headers, body = fetch(f"{base}/", "identity")
    assert "content-encoding" not in headers and body == PAGE


def test_static_files_pass_through_compressed_and_are_kept_by_nginx(stack):
    base, upstream = stack
    url = f"{base}/static/js/index.abc123.js"
    headers, body = fetch(url, "gzip, deflate")
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == BUNDLE
    assert "immutable" in headers["cache-control"]
    assert "accept-encoding" in headers["vary"].lower()
    upstream.shutdown()  # the bundle must now come from nginx's own copy
    headers, body = fetch(url, "deflate, gzip")  # another browser's header, same encoding
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == BUNDLE
    assert sum(path.startswith("/static/") for path, _ in ASKED) == 1
