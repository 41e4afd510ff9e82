"""``deploy/nginx.conf`` rendered for replicas on loopback, Debian's nginx running it, and a
`Stack` of app replicas behind it (benchmarks.replicas, tests)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from harness.paths import ROOT

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def loopback_conf(template: str, upstreams: list[str], port: int, prefix: Path) -> str:
    """``deploy/nginx.conf`` for loopback: these upstreams, this port, files under prefix."""
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=10s;" for u in upstreams)
    conf, n = re.subn(r"# replicas:begin\n.*?# replicas:end",
                      f"# replicas:begin\n{servers}\n        # replicas:end", template,
                      flags=re.S)
    conf, m = re.subn(r"# listen:begin\n.*?# listen:end",
                      f"# listen:begin\n        listen 127.0.0.1:{port};\n        # listen:end",
                      conf, flags=re.S)
    if n != 1 or m != 1:
        raise ValueError("deploy/nginx.conf lost its replicas:/listen: markers")
    conf = re.sub(r"^pid .*;$", f"pid {prefix}/nginx.pid;", conf, flags=re.M)
    conf = re.sub(r"^error_log .*;$", f"error_log {prefix}/error.log warn;", conf, flags=re.M)
    conf = re.sub(r"^worker_processes .*;$", "worker_processes 1;", conf, flags=re.M)
    conf = re.sub(r"proxy_cache_path \S+", f"proxy_cache_path {prefix}/static-cache", conf)
    temps = "".join(f"    {k}_temp_path {prefix}/{k};\n"
                    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = f"user {_user()};\n" if os.geteuid() == 0 else ""  # root: workers stay root
    return user + conf.replace("http {\n", "http {\n" + temps, 1)


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


@contextmanager
def loopback_nginx(upstreams: list[str], workdir: Path,
                   edit: Callable[[str], str] = lambda conf: conf) -> Iterator[str]:
    """Debian's nginx running ``deploy/nginx.conf`` for these upstreams (then ``edit``) on a
    free loopback port; yields its base URL, stopped on exit."""
    from harness.server import free_port

    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(edit(loopback_conf(NGINX_CONF.read_text(), upstreams, port, workdir)))
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(workdir), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(workdir / 'error.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


class Stack:
    """App replicas on loopback ports with Debian's nginx in front (``deploy/nginx.conf``):
    `start` them, `kill` one (a crash), `stop` all."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.replicas: dict[str, subprocess.Popen] = {}  # "127.0.0.1:port" -> process
        self.base = ""  # nginx's base URL once started
        self._nginx: ExitStack | None = None

    def start(self, replicas: int = 2, env: dict[str, str] | None = None) -> str:
        """Start ``replicas`` replicas and nginx, wait until each answers its health check
        (nginx too); returns nginx's base URL."""
        from harness.server import free_port, start_server, wait_healthy

        for _ in range(replicas):
            port = free_port()
            self.replicas[f"127.0.0.1:{port}"] = start_server(
                port, log=self.workdir / f"streamlit-{port}.log", env=env)
        self._nginx = ExitStack()
        self.base = self._nginx.enter_context(loopback_nginx(list(self.replicas), self.workdir))
        for addr, proc in self.replicas.items():
            wait_healthy(f"http://{addr}", proc)
        wait_healthy(self.base, None)
        return self.base

    def kill(self, addr: str) -> None:
        """SIGKILL one replica (a crash, not a graceful stop)."""
        self.replicas[addr].kill()
        self.replicas[addr].wait(10)

    def stop(self) -> None:
        """Stop nginx and every replica."""
        from harness.server import stop_server

        if self._nginx is not None:
            self._nginx.close()
            self._nginx = None
        for proc in self.replicas.values():
            stop_server(proc)
        self.replicas.clear()
