"""Real-browser harness: `streamlit run app.py` on a free port, driven by headless Chromium.

Uses Debian's Chromium (``apt-get install -y chromium``) through Playwright's Python
package; Playwright's own browser download is never needed. Without a Chromium binary the
browser tests are skipped with a reason, unless ``CVAE_REQUIRE_E2E=1`` (set by ``.ci/run``)
turns that into a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("CVAE_CHROMIUM", "/usr/bin/chromium"))
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = (f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` "
               "(or set CVAE_CHROMIUM) to run the browser tests")
    if os.environ.get("CVAE_REQUIRE_E2E") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base_url: str, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{base_url}/_stcore/health did not answer within {timeout:.0f} s")


def start_server(port: int, env: dict[str, str] | None = None,
                 log: Path | None = None) -> subprocess.Popen:
    """Start ``streamlit run app.py`` headless on ``port`` (the caller stops it)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of one app server shared by the browser tests."""
    _require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_server(port, log=ARTIFACTS / "streamlit-server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    """A fresh browser tab; a screenshot lands in tests/artifacts/ when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
    context.close()


def open_app(page, base_url: str, query: str = "", timeout_ms: float = 180_000) -> None:
    """Navigate to the app (optionally with ``?query``) and wait until its script is idle
    and the decoded digit is on the page."""
    page.goto(f"{base_url}/{('?' + query) if query else ''}")
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.get_by_text("Decoded digit").wait_for(timeout=timeout_ms)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Wait until the app's script (or fragment) run has finished."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
