"""Real-browser harness: `streamlit run app.py` on a free port, driven by headless Chromium.

Uses Debian's Chromium (``apt-get install -y chromium``) through Playwright's Python
package; Playwright's own browser download is never needed. Without a Chromium binary the
browser tests are skipped with a reason, unless ``CVAE_REQUIRE_E2E=1`` (set by ``.ci/run``)
turns that into a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# One server harness for tests and benchmarks (start, health, stop on loopback).
from benchmarks.harness import free_port, start_server, stop_server, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("CVAE_CHROMIUM", "/usr/bin/chromium"))
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
VIEWPORT = {"width": 1400, "height": 1000}
LAUNCH = {"executable_path": str(CHROMIUM), "args": ["--headless", "--no-sandbox"]}

# An <img> in an st.image block whose caption contains a text, by that text.
_IMAGE_BY_CAPTION = """cap => [...document.querySelectorAll("[data-testid='stImage']")]
    .find(e => e.textContent.includes(cap))?.querySelector('img')"""
# Every image decoded and every Plotly chart drawn: what a person sees once the page settles.
_RENDERED = """() => [...document.images].every(i => i.complete && i.naturalWidth > 0) &&
    [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(
        c => c.querySelector('.js-plotly-plot')?._fullLayout)"""


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


@contextmanager
def running_app(log_name: str = "streamlit-server.log", env: dict[str, str] | None = None,
                base_path: str = "") -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py`` on a free port, answering its health check; stopped on
    exit. Yields the base URL (ending in ``base_path``, which must match the server's
    ``server.baseUrlPath``) and the server process; its log goes to tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_server(port, env=env, log=ARTIFACTS / log_name)
    base = f"http://127.0.0.1:{port}{base_path}"
    try:
        wait_healthy(base, proc)
        yield base, proc
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of one app server shared by the browser tests."""
    _require_chromium()
    with running_app() as (base, _):
        yield base


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(**LAUNCH)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def artifact_name(request: pytest.FixtureRequest, suffix: str = "") -> str:
    """A file-system-safe screenshot name for the running test."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + suffix


@pytest.fixture
def page(browser, request):
    """A fresh browser tab. Its screenshot lands in tests/artifacts/<test>.png when the test
    ends (``FAILED-<test>.png`` when it failed)."""
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    yield pg
    rep = getattr(request.node, "rep_call", None)
    name = artifact_name(request)
    for stale in (name, f"FAILED-{name}"):  # from an earlier run
        (ARTIFACTS / f"{stale}.png").unlink(missing_ok=True)
    save_screenshot(pg, f"FAILED-{name}" if rep is not None and rep.failed else name)
    context.close()


@pytest.fixture
def new_page(browser, request):
    """Factory for more tabs, each in its own fresh browser context (no cookies, no session),
    as when a shared link is opened elsewhere; screenshotted and closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        return context.new_page()

    yield make
    for i, context in enumerate(contexts, start=1):
        for pg in context.pages:
            save_screenshot(pg, artifact_name(request, f"-tab{i}"))
        context.close()


def save_screenshot(page, name: str, path: Path | None = None) -> Path:
    """Screenshot the viewport to ``path`` (default tests/artifacts/<name>.png); never raises
    for a page that is already gone, so it is safe in teardown."""
    path = path or ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(path))
    except Exception as exc:  # a teardown screenshot must not mask the test result
        print(f"screenshot {path} failed: {exc}")
    return path


def open_app(page, base_url: str, query: str = "", timeout_ms: float = 180_000) -> None:
    """Navigate to the app (optionally with ``?query``) and wait until its script is idle
    and the decoded digit is on the page; an exception shown instead fails at once, with
    its text."""
    page.goto(f"{base_url}/{('?' + query) if query else ''}")
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    exception = page.locator("[data-testid='stException']")
    page.get_by_text("Decoded digit").or_(exception).first.wait_for(timeout=timeout_ms)
    if exception.count():
        raise AssertionError(f"the page shows an exception: {exception.first.inner_text()}")
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Wait until the app's script (or fragment) run has finished."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_rendered(page, timeout_ms: float = 60_000) -> None:
    """Wait until the script is idle, every image has loaded and every Plotly chart is drawn."""
    wait_idle(page, timeout_ms)
    page.wait_for_function(_RENDERED, timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def image_src(page, caption_part: str, timeout_ms: float = 30_000) -> str:
    """The src (``/media/<content hash>.<ext>`` or a ``data:`` URL) of the image whose
    caption contains ``caption_part``, once there is one; the same picture always has the
    same src."""
    handle = page.wait_for_function(
        f"cap => ({_IMAGE_BY_CAPTION})(cap)?.getAttribute('src') || false",
        arg=caption_part, timeout=timeout_ms)
    return str(handle.json_value())


def wait_image_change(page, caption_part: str, old_src: str,
                      timeout_ms: float = 60_000) -> str:
    """Wait until the image captioned with ``caption_part`` shows another picture than
    ``old_src`` and the run that drew it has finished; return the new src."""
    page.wait_for_function(
        f"([cap, old]) => {{ const i = ({_IMAGE_BY_CAPTION})(cap); "
        "return !!i && i.getAttribute('src') !== old; }",
        arg=[caption_part, old_src], timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return image_src(page, caption_part)
