"""``streamlit run app.py`` on a free loopback port: start, health check, stop.

Needs neither pytest nor a browser, so benchmarks use it as the tests do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.paths import ARTIFACTS, ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, extra_args: list[str] | None = None,
                 log: Path | None = None, env: dict[str, str] | None = None,
                 script: Path | None = None) -> subprocess.Popen:
    """Start ``streamlit run app.py`` (or ``script``, with the project's settings) headless
    on 127.0.0.1:``port`` (the caller stops it), with ``env`` added to this process's
    environment."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"),
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           *(extra_args or [])]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})


def wait_for(base_url: str, path: str, proc: subprocess.Popen | None, timeout: float,
             poll: float = 0.1) -> float:
    """Block until ``path`` answers 200; returns the seconds waited (raises if the server
    exits or the time runs out). A 503 (urllib's HTTPError is an OSError) or a port not
    listening yet is waited out."""
    start = time.monotonic()
    while time.monotonic() < start + timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}{path}", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(poll)
    raise TimeoutError(f"{base_url}{path} did not answer 200 within {timeout:.0f} s")


def wait_healthy(base_url: str, proc: subprocess.Popen | None, timeout: float = 180.0) -> None:
    """Block until Streamlit's ``/_stcore/health`` answers 200 (the process serves)."""
    wait_for(base_url, "/_stcore/health", proc, timeout, poll=0.25)


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate the server (kill after 15 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_app(log_name: str = "streamlit-server.log", env: dict[str, str] | None = None,
                base_path: str = "", extra_args: list[str] | None = None,
                timeout: float = 180.0, ready: bool = False, script: Path | None = None,
                ) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py`` (or ``script``) on a free port, answering its health check
    (with ``ready``: its readiness route, the warm-up done, as a load balancer would wait);
    stopped on exit. Yields the base URL (ending in ``base_path``, which must match the
    server's ``server.baseUrlPath``) and the server process; its log goes to
    tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_server(port, extra_args, log=ARTIFACTS / log_name, env=env, script=script)
    base = f"http://127.0.0.1:{port}{base_path}"
    try:
        wait_healthy(base, proc, timeout)
        if ready:
            wait_ready(base, proc)
        yield base, proc
    finally:
        stop_server(proc)


def wait_ready(base_url: str, proc: subprocess.Popen | None, timeout: float = 600.0) -> float:
    """Block until the app's readiness route ``/cvae/ready`` answers 200 (its warm-up is
    done); returns the seconds waited."""
    return wait_for(base_url, "/cvae/ready", proc, timeout)


class SamePortApp:
    """``streamlit run app.py`` that can be stopped and started again on one port, as a
    visitor's open page sees a restart; it warms only ``model`` (the default model, the one
    the page opens), so it is ready in seconds. Logs: ``<log_stem>-1.log``, ``-2.log``, ..."""

    def __init__(self, log_stem: str, model: str | None = None) -> None:
        from cvae.recipes import DEFAULT_RECIPE

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._env = {"CVAE_WARM_MODELS": model or DEFAULT_RECIPE}
        self._log_stem, self._starts = log_stem, 0
        self._proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start it and wait until it is ready."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self._starts += 1
        self._proc = start_server(self.port, log=ARTIFACTS / f"{self._log_stem}-{self._starts}"
                                  ".log", env=self._env)
        try:
            wait_ready(self.base, self._proc)
        except BaseException:  # never ready: stopped here (a `with` does not exit what
            self.stop()        # failed to enter)
            raise

    def stop(self) -> None:
        """Stop it (nothing when it is not running)."""
        if self._proc is not None:
            stop_server(self._proc)
            self._proc = None

    def __enter__(self) -> SamePortApp:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
